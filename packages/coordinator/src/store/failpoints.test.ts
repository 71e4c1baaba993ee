// Failpoints: armed only by a well-formed spec, each fires once, and a typo is an error (a fault
// test must never pass because its fault silently did not happen).
import { describe, expect, it, vi } from 'vitest';
import { failpointsFrom } from './failpoints.js';

describe('failpoints', () => {
  it('is a no-op without a spec', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    try {
      failpointsFrom(undefined)('commit:done', 1);
      failpointsFrom('')('commit:done', 1);
      expect(kill).not.toHaveBeenCalled();
    } finally {
      kill.mockRestore();
    }
  });

  it('signals this process once, at the named point and round only', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const fp = failpointsFrom('commit:model-written@3=SIGTERM, commit:done@5=SIGKILL');
      fp('commit:model-written', 2);
      fp('commit:done', 3);
      expect(kill).not.toHaveBeenCalled();
      fp('commit:model-written', 3);
      fp('commit:model-written', 3);
      fp('commit:done', 5);
      expect(kill.mock.calls).toEqual([[process.pid, 'SIGTERM'], [process.pid, 'SIGKILL']]);
    } finally {
      kill.mockRestore();
      write.mockRestore();
    }
  });

  it('refuses a malformed spec', () => {
    for (const bad of ['commit', 'commit@x=SIGKILL', 'commit@1=SIGSTOP', 'commit@1', 'Commit@1=SIGKILL', 'a@1=SIGKILL,,']) expect(() => failpointsFrom(bad), bad).toThrow(RangeError);
  });
});
