// Safetensors files on the node: the format itself is @fedtune/shared's (the coordinator writes
// and reads the same files); this adds reading and writing them on disk.
import { readFile, writeFile } from 'node:fs/promises';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorToWrite } from '@fedtune/shared';

export { MAX_HEADER_BYTES, halfToFloat, parseSafetensors, serializeSafetensors, type SafeTensor, type SafetensorsDtype, type SafetensorsFile, type TensorToWrite } from '@fedtune/shared';

/** @throws FedtuneError FT_ERR_MALFORMED on a bad file (see parseSafetensors). */
export async function readSafetensorsFile(path: string, only?: (name: string) => boolean): Promise<SafetensorsFile> {
  return parseSafetensors(new Uint8Array(await readFile(path)), only);
}

export async function writeSafetensorsFile(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  await writeFile(path, serializeSafetensors(tensors, metadata));
}
