/**
 * Pick-a-Pic v2 rows as a Parquet file with the dataset's column names and types (yuvalkirstain/pickapic_v2 on the
 * Hugging Face Hub): what `datasets.load_dataset("parquet", …)` and diffusers' Diffusion-DPO training script
 * (examples/research_projects/diffusion_dpo/train_diffusion_dpo.py: caption, jpg_0, jpg_1, label_0) read. The image
 * URL columns are left out (the images are in the file); created_at is an ISO 8601 string; studio_vote is kept.
 */
import { encodeParquet, type ParquetColumn } from '../io/parquet';
import type { PickapicRow } from './pickapic';

export function rowsToParquet(rows: readonly PickapicRow[], opts: { createdBy?: string } = {}): Uint8Array {
  const col = <K extends keyof PickapicRow>(name: K) => rows.map((r) => r[name]);
  const columns: ParquetColumn[] = [
    { name: 'are_different', type: 'boolean', values: col('are_different') },
    { name: 'best_image_uid', type: 'string', values: col('best_image_uid') },
    { name: 'caption', type: 'string', values: col('caption') },
    { name: 'created_at', type: 'string', values: col('created_at') },
    { name: 'has_label', type: 'boolean', values: col('has_label') },
    { name: 'image_0_uid', type: 'string', values: col('image_0_uid') },
    { name: 'image_1_uid', type: 'string', values: col('image_1_uid') },
    { name: 'jpg_0', type: 'binary', values: col('jpg_0') },
    { name: 'jpg_1', type: 'binary', values: col('jpg_1') },
    { name: 'label_0', type: 'double', values: col('label_0') },
    { name: 'label_1', type: 'double', values: col('label_1') },
    { name: 'model_0', type: 'string', values: col('model_0') },
    { name: 'model_1', type: 'string', values: col('model_1') },
    { name: 'ranking_id', type: 'int64', values: col('ranking_id') },
    { name: 'user_id', type: 'int64', values: col('user_id') },
    { name: 'num_example_per_prompt', type: 'int64', values: col('num_example_per_prompt') },
    { name: 'studio_vote', type: 'string', values: rows.map((r) => r.studio_vote ?? '') },
  ];
  return encodeParquet(columns, { createdBy: opts.createdBy ?? 'd3po-studio (Pick-a-Pic v2 columns)' });
}
