import { describe, expect, it } from "vitest";
import { matrixTarget } from "./matrixLinks";

describe("links to Matrix things", () => {
  it("reads matrix.to links to people, rooms, aliases and events", () => {
    expect(matrixTarget("https://matrix.to/#/@alice:gouv.fr")).toEqual({ kind: "user", userId: "@alice:gouv.fr" });
    expect(matrixTarget("https://matrix.to/#/%23equipe%3Agouv.fr")).toEqual({ kind: "room", room: "#equipe:gouv.fr", eventId: null });
    expect(matrixTarget("https://matrix.to/#/!abc:gouv.fr/$ev1?via=gouv.fr")).toEqual({
      kind: "room",
      room: "!abc:gouv.fr",
      eventId: "$ev1",
    });
  });

  it("reads matrix: URIs", () => {
    expect(matrixTarget("matrix:u/alice:gouv.fr")).toEqual({ kind: "user", userId: "@alice:gouv.fr" });
    expect(matrixTarget("matrix:r/equipe:gouv.fr")).toEqual({ kind: "room", room: "#equipe:gouv.fr", eventId: null });
    expect(matrixTarget("matrix:roomid/abc:gouv.fr/e/ev1")).toEqual({ kind: "room", room: "!abc:gouv.fr", eventId: "$ev1" });
  });

  it("leaves everything else to the browser", () => {
    for (const href of [
      "https://example.org/#/@alice:gouv.fr",
      "https://matrix.to.evil.example/#/@alice:gouv.fr",
      "https://matrix.to/#/@alice",
      "https://matrix.to/#/@alice:gouv.fr/$event",
      "https://matrix.to/#/!abc:gouv.fr/$ev/extra",
      "https://matrix.to/#/%E0%A4%A",
      "matrix:x/alice:gouv.fr",
      "not a url",
    ]) {
      expect(matrixTarget(href), href).toBeNull();
    }
  });
});
