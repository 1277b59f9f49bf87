import { commands, type PaintMark } from "./bindings";

/** Reports `mark` once the browser has painted the current frame (used by `cargo xtask bench app`). */
export function reportPaint(mark: PaintMark, startedAt?: number): void {
  requestAnimationFrame(() =>
    setTimeout(() => {
      const elapsed = startedAt === undefined ? null : performance.now() - startedAt;
      void commands.reportPainted(mark, elapsed);
    }, 0),
  );
}
