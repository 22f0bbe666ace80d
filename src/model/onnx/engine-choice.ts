/**
 * Which engine runs inference: onnxruntime when it loads (`auto`, the default), always
 * onnxruntime (`onnx`: an error when it cannot load), or the tfjs wasm backend (`tfjs`). Training
 * always runs on tfjs; `DUET_ENGINE` sets the choice for a process.
 */
import { ModelLoadError } from '../../errors.js';

export type InferenceEngine = 'auto' | 'onnx' | 'tfjs';

export function engineFromEnvironment(): InferenceEngine {
  const value = process.env.DUET_ENGINE;
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'onnx' || value === 'tfjs') return value;
  throw new ModelLoadError(`DUET_ENGINE is "${value}"; use onnx, tfjs or auto`);
}

/**
 * Start the onnxruntime side of `engine`: null under `tfjs`, or under `auto` when it fails to
 * start (the caller runs tfjs); its error under `onnx`.
 */
export function startOnnx<T>(engine: InferenceEngine, create: () => Promise<T>): Promise<T | null> {
  if (engine === 'tfjs') return Promise.resolve(null);
  return create().catch((error: unknown) => {
    if (engine === 'onnx') throw error;
    return null;
  });
}
