// `fedtune-client doctor [--json]`: reports the training backends available here.
import { parseFlags } from '@fedtune/shared/cli';
import { doctorReport, formatDoctor } from '../backend/doctor.js';

export const DOCTOR_HELP = `Usage: fedtune-client doctor [--json] [--verbose]

Probes every training backend (tensorflow-gpu, tensorflow, webgpu, wasm, cpu), says why each is
or is not available, and which one training would use.

  --json      print the report as JSON
  --verbose   let native GPU libraries and TensorFlow.js print their own warnings
  -h, --help  this text
`;

/** Runs the doctor command; returns the exit code. @throws UsageError for a bad flag. */
export async function runDoctorCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean', default: false }, verbose: { type: 'boolean', default: false } });
  const report = await doctorReport();
  out(values.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report) + '\n');
  return 0;
}
