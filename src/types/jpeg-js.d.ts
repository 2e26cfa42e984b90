// Types for the jpeg-js encoder entry (the package ships none); only the call the rewards use.
declare module 'jpeg-js/lib/encoder.js' {
  export default function encode(image: { data: ArrayLike<number>; width: number; height: number }, quality?: number): { data: Uint8Array; width: number; height: number };
}
