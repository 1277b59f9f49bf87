// A call's video in the page: the shell hands over encoded VP8 frames (the Linux webview has
// no WebRTC), decoded here with WebCodecs and drawn on a canvas. Decoding starts at a key frame
// and starts again at the next one after an error.

import type { CallVideoFrame } from "../../lib/bindings";

export function canDecodeVideo(): boolean {
  return typeof VideoDecoder !== "undefined";
}

function bytesOf(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index += 1) bytes[index] = text.charCodeAt(index);
  return bytes;
}

export class VideoCanvas {
  #canvas: HTMLCanvasElement;
  #decoder: VideoDecoder | null = null;
  #waitingForKeyframe = true;
  /** Frames drawn so far (shown as `data-frames`, which the end-to-end test reads). */
  drawn = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
  }

  push(frame: CallVideoFrame): void {
    if (!canDecodeVideo()) return;
    if (this.#waitingForKeyframe && !frame.keyframe) return;
    const decoder = this.#decoder ?? this.#open();
    if (decoder.state !== "configured") return;
    this.#waitingForKeyframe = false;
    try {
      decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? "key" : "delta",
          timestamp: frame.timestamp_us ?? 0,
          data: bytesOf(frame.data),
        }),
      );
    } catch {
      this.#restart();
    }
  }

  close(): void {
    if (this.#decoder && this.#decoder.state !== "closed") this.#decoder.close();
    this.#decoder = null;
  }

  #open(): VideoDecoder {
    const decoder = new VideoDecoder({
      output: (picture) => this.#draw(picture),
      error: () => this.#restart(),
    });
    decoder.configure({ codec: "vp8", optimizeForLatency: true });
    this.#decoder = decoder;
    return decoder;
  }

  #restart(): void {
    this.close();
    this.#waitingForKeyframe = true;
  }

  #draw(picture: VideoFrame): void {
    const canvas = this.#canvas;
    if (canvas.width !== picture.displayWidth || canvas.height !== picture.displayHeight) {
      canvas.width = picture.displayWidth;
      canvas.height = picture.displayHeight;
    }
    canvas.getContext("2d")?.drawImage(picture, 0, 0);
    picture.close();
    this.drawn += 1;
    canvas.dataset.frames = String(this.drawn);
  }
}
