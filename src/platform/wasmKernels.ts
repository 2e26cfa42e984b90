// The project's replacements of tfjs-backend-wasm 4.22 kernels, installed together at every entry point (Node, the browser's wasm fallback, tests).
import { installFusedKernels } from './fusedKernels';
import { installWasmIdentity } from './wasmIdentity';
import { installWasmMatMul } from './wasmMatMul';
import { installWasmSlice } from './wasmSlice';
import { installWasmSum } from './wasmSum';

/** BatchMatMul through XNNPACK for every shape (wasmMatMul.ts), a zero-copy Identity (wasmIdentity.ts), leading-axes Sum as an average pool (wasmSum.ts), Slice without copying the input out of the heap (wasmSlice.ts), and the fused norm kernels (GroupNorm(+SiLU), LayerNorm; fusedKernels.ts, also registered for cpu). Idempotent. */
export function installWasmKernels(): void {
  installWasmMatMul();
  installWasmIdentity();
  installWasmSum();
  installWasmSlice();
  installFusedKernels();
}
