/** Names of the project's fused inference kernels (custom tfjs kernels; attrs in brackets): GroupNorm with inputs x, gamma, beta [groups, epsilon, silu], LayerNorm with x, gamma, beta [epsilon]. */
export const FUSED_KERNELS = { groupNorm: 'D3poFusedGroupNorm', layerNorm: 'D3poFusedLayerNorm' } as const;
