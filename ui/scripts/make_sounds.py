"""Writes the notification sounds of `ui/public/sounds`: short chimes made of sine tones with
soft attacks and decays, so that they are ours (no licence to track) and the same everywhere.
Run from `ui/`: python3 scripts/make_sounds.py"""

import math
import struct
import wave

RATE = 22050


def tone(frequency, seconds, volume):
    samples = int(RATE * seconds)
    attack = int(RATE * 0.01)
    out = []
    for n in range(samples):
        envelope = min(1.0, n / attack) * math.exp(-4.0 * n / samples)
        value = math.sin(2 * math.pi * frequency * n / RATE)
        # A soft octave above makes it a chime rather than a beep.
        value += 0.3 * math.sin(4 * math.pi * frequency * n / RATE)
        out.append(volume * envelope * value / 1.3)
    return out


def write(path, notes):
    samples = []
    for frequency, seconds, volume in notes:
        samples.extend(tone(frequency, seconds, volume))
    with wave.open(path, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(RATE)
        sound.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


# A message: two soft notes. A mention: three, louder and higher, so that it is told apart.
write("public/sounds/message.wav", [(880.0, 0.12, 0.35), (1174.7, 0.28, 0.35)])
write("public/sounds/mention.wav", [(1046.5, 0.1, 0.55), (1318.5, 0.1, 0.55), (1568.0, 0.3, 0.55)])
