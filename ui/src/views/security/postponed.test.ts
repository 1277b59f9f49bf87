import { beforeEach, describe, expect, it } from "vitest";
import { forgetPostponement, forgetPostponements, postpone, postponements } from "./postponed";

describe("security steps put off", () => {
  beforeEach(() => localStorage.clear());

  it("are asked for the first time", () => {
    expect(postponements("a1")).toEqual({ confirm: false, setup: false });
  });

  it("are remembered per account and per step", () => {
    postpone("a1", "setup");
    expect(postponements("a1")).toEqual({ confirm: false, setup: true });
    expect(postponements("a2")).toEqual({ confirm: false, setup: false });
    expect(localStorage.getItem("estafette.postponed.a1.setup")).toBe("1");
    postpone("a1", "confirm");
    expect(localStorage.getItem("estafette.postponed.a1.confirm")).toBe("1");
  });

  it("are forgotten once done, or when the account signs out", () => {
    postpone("a1", "setup");
    postpone("a1", "confirm");
    forgetPostponement("a1", "setup");
    expect(postponements("a1")).toEqual({ confirm: true, setup: false });
    forgetPostponements("a1");
    expect(postponements("a1")).toEqual({ confirm: false, setup: false });
    expect(localStorage.length).toBe(0);
  });
});
