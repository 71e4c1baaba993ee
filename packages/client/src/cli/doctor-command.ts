// `fedtune-client doctor [--json] [--help]`: reports the training backends available here.
import { doctorReport, formatDoctor } from '../backend/doctor.js';

const USAGE = `usage: fedtune-client doctor [--json] [--help]

Probes every training backend (tensorflow-gpu, tensorflow, webgpu, wasm, cpu), says why each is
or is not available, and which one training would use.

  --json   print the report as JSON
  --help   print this help`;

/** Runs the doctor command; returns the exit code (0 ok, 2 bad usage). */
export async function runDoctorCommand(argv: string[], out: (s: string) => void): Promise<number> {
  let json = false;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      out(USAGE);
      return 0;
    }
    if (arg === '--json') json = true;
    else {
      out(`fedtune-client doctor: unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    }
  }
  const report = await doctorReport();
  out(json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  return 0;
}
