// The ring of an incoming call: two soft tones every three seconds, drawn with Web Audio (no
// sound file, nothing fetched). Silent where the machine has no sound output.

export class Ringer {
  #context: AudioContext | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  start(): void {
    if (this.#timer !== null) return;
    this.#ring();
    this.#timer = setInterval(() => this.#ring(), 3000);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    void this.#context?.close().catch(() => undefined);
    this.#context = null;
  }

  #ring(): void {
    try {
      this.#context ??= new AudioContext();
      const context = this.#context;
      for (const [frequency, at] of [
        [660, 0],
        [880, 0.45],
      ] as const) {
        const tone = context.createOscillator();
        const gain = context.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, context.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.15, context.currentTime + at + 0.05);
        gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + at + 0.4);
        tone.connect(gain).connect(context.destination);
        tone.start(context.currentTime + at);
        tone.stop(context.currentTime + at + 0.42);
      }
    } catch {
      // No audio output: the dialog and the notification still say it.
    }
  }
}
