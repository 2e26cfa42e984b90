/** Per-image rewards from pixels: JPEG (in)compressibility at quality 95 as in D3PO/DDPO rewards.py (jpeg-js encoder), brightness (D3PO's light_reward), colourfulness (Hasler & Süsstrunk 2003). */
import { encodeRgbaJpeg } from '../io/jpeg';
import type { RewardFunction, RgbaImage } from './types';

const side = (img: RgbaImage) => Math.round(Math.sqrt(img.length / 4));

/** JPEG size in kB at the given quality (ddpo: quality 95, size / 1000). */
export function jpegSizeKb(img: RgbaImage, quality = 95): number {
  const s = side(img);
  return encodeRgbaJpeg(img, s, s, quality).length / 1000;
}

/** Mean pixel value in [0,1] over RGB. */
export function brightness(img: RgbaImage): number {
  let s = 0;
  for (let i = 0; i < img.length; i += 4) s += img[i] + img[i + 1] + img[i + 2];
  return s / ((img.length / 4) * 3 * 255);
}

/** Hasler–Süsstrunk colourfulness M = sqrt(σ_rg² + σ_yb²) + 0.3·sqrt(μ_rg² + μ_yb²), on 0..255 values. */
export function colourfulness(img: RgbaImage): number {
  const n = img.length / 4;
  let mrg = 0;
  let myb = 0;
  for (let i = 0; i < img.length; i += 4) {
    mrg += img[i] - img[i + 1];
    myb += 0.5 * (img[i] + img[i + 1]) - img[i + 2];
  }
  mrg /= n;
  myb /= n;
  let vrg = 0;
  let vyb = 0;
  for (let i = 0; i < img.length; i += 4) {
    vrg += (img[i] - img[i + 1] - mrg) ** 2;
    vyb += (0.5 * (img[i] + img[i + 1]) - img[i + 2] - myb) ** 2;
  }
  return Math.sqrt(vrg / n + vyb / n) + 0.3 * Math.sqrt(mrg * mrg + myb * myb);
}

const perImage = (name: string, description: string, f: (img: RgbaImage) => number): RewardFunction => ({
  name,
  description,
  kind: 'sample',
  score: async (images) => images.map(f),
});

export const jpegIncompressibility = perImage('jpeg_incompressibility', 'JPEG size in kB at quality 95 (more detail is better)', (i) => jpegSizeKb(i));
export const jpegCompressibility = perImage('jpeg_compressibility', 'minus the JPEG size in kB at quality 95 (simpler is better)', (i) => -jpegSizeKb(i));
export const brightnessReward = perImage('brightness', 'mean pixel value in [0,1] (D3PO light_reward)', brightness);
export const colourfulnessReward = perImage('colourfulness', 'Hasler–Süsstrunk colourfulness (more saturated colour is better)', colourfulness);
