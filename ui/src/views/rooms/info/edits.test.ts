import { describe, expect, it } from "vitest";
import { Choice, TextField } from "./edits.svelte";

describe("a room setting's text field", () => {
  it("follows the room until edited, then keeps what was typed", () => {
    const field = new TextField("Old");
    expect(field.changed).toBe(false);
    field.follow("Renamed elsewhere");
    expect(field.value).toBe("Renamed elsewhere");
    expect(field.changed).toBe(false);
    field.value = "Mine";
    field.follow("Again elsewhere");
    expect(field.value).toBe("Mine");
    expect(field.changed).toBe(true);
    field.saved("Mine");
    expect(field.changed).toBe(false);
    field.follow("Mine");
    expect(field.value).toBe("Mine");
  });
});

describe("a room setting applied at once", () => {
  it("shows the pick while it is sent, and the room's value again when it fails", async () => {
    let fail = true;
    const choice = new Choice<string>("a", async () => {
      if (fail) throw new Error("refused");
    }, (failure) => String(failure));
    const pending = choice.choose("b", () => "a");
    expect(choice.shown("a")).toBe("b");
    expect(choice.status).toBe("saving");
    await pending;
    expect(choice.shown("a")).toBe("a");
    expect(choice.error).toBe("Error: refused");
    expect(choice.status).toBe(null);
    fail = false;
    await choice.choose("b", () => "a");
    expect(choice.status).toBe("saved");
    // Until the room says so, the pick stays shown; then the room's value.
    expect(choice.shown("a")).toBe("b");
    choice.follow("b");
    expect(choice.shown("b")).toBe("b");
    choice.follow("c");
    expect(choice.shown("c")).toBe("c");
  });

  it("sends a pick made while another is on its way after it, and only the last one", async () => {
    const sent: string[] = [];
    let release: () => void = () => undefined;
    const choice = new Choice<string>("a", (value: string) => {
      sent.push(value);
      return new Promise<void>((resolve) => (release = resolve));
    }, String);
    const first = choice.choose("b", () => "d");
    void choice.choose("c", () => "d");
    void choice.choose("d", () => "d");
    expect(choice.busy).toBe(true);
    release();
    for (let turn = 0; turn < 10 && sent.length < 2; turn++) await Promise.resolve();
    expect(sent).toEqual(["b", "d"]);
    release();
    await first;
    expect(sent).toEqual(["b", "d"]);
    expect(choice.busy).toBe(false);
    expect(choice.shown("d")).toBe("d");
  });
});
