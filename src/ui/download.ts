// Saves bytes or text as a file from the main thread: a Blob, an object URL and a temporary <a download> (no server round trip; CSP-safe).

export interface DownloadFile {
  fileName: string;
  data: Uint8Array | ArrayBuffer | string;
  type?: string; // MIME type (default application/octet-stream, or application/json for .json)
}

export function download(file: DownloadFile): void {
  const type = file.type ?? (file.fileName.endsWith('.json') ? 'application/json' : file.fileName.endsWith('.jsonl') ? 'application/jsonl' : 'application/octet-stream');
  const part: BlobPart = typeof file.data === 'string' ? file.data : file.data instanceof ArrayBuffer ? file.data : (file.data.slice().buffer as ArrayBuffer);
  const url = URL.createObjectURL(new Blob([part], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the browser has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a picked file's bytes. */
export async function readFileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
