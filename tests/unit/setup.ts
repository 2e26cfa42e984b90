// Vitest setup: every unit test runs on a CPU-side tfjs backend chosen here (entry point), never in src/core.
import 'fake-indexeddb/auto';
