// One generated image: RGBA8 bytes drawn into a 2D canvas and scaled up with pixelated rendering (2D, not WebGPU: WebGPU canvases screenshot black in headless Chromium, vercel-labs/agent-browser webgpu.md).
import { useEffect, useRef } from 'react';
import type { GeneratedImage } from '../../worker/protocol';

interface Props {
  image: GeneratedImage; // width·height·4 bytes
  scale: number; // CSS pixels per image pixel
  label: string; // accessible name
  testId?: string; // default 'generated-image'
  onDrawn?: () => void; // called once the pixels are on the canvas
}

export function RgbaCanvas({ image, scale, label, testId = 'generated-image', onDrawn }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (ctx == null) return;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
    onDrawn?.();
  }, [image, onDrawn]);

  return (
    <canvas
      ref={ref}
      className="rgba-canvas"
      data-testid={testId}
      role="img"
      aria-label={label}
      width={image.width}
      height={image.height}
      style={{ width: image.width * scale, height: image.height * scale }}
    />
  );
}
