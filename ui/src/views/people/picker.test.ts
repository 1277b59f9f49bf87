import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { latestSearch, optionName, personLabel, SEARCH_DELAY_MS } from "./picker";

/** A search whose answers the test gives, in any order. */
function controlledSearch() {
  const pending = new Map<string, { resolve: (value: string[]) => void; reject: (error: unknown) => void }>();
  const asked: string[] = [];
  const search = (term: string) =>
    new Promise<string[]>((resolve, reject) => {
      asked.push(term);
      pending.set(term, { resolve, reject });
    });
  return { search, asked, pending };
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      onSearching: (term: string) => events.push(`searching ${term}`),
      onResult: (result: string[], term: string) => events.push(`result ${term}: ${result.join(",")}`),
      onFailure: (failure: unknown, term: string) => events.push(`failure ${term}: ${String(failure)}`),
      onCleared: () => events.push("cleared"),
    },
  };
}

describe("latestSearch", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("searches once typing pauses, for the last term typed", async () => {
    const { search, asked, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const typing = latestSearch(search, handlers);
    typing.input("m");
    vi.advanceTimersByTime(100);
    typing.input("ma");
    vi.advanceTimersByTime(100);
    typing.input("mar");
    vi.advanceTimersByTime(SEARCH_DELAY_MS - 1);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual(["mar"]);
    pending.get("mar")!.resolve(["carol"]);
    await vi.runAllTimersAsync();
    expect(events).toEqual(["searching m", "searching ma", "searching mar", "result mar: carol"]);
  });

  it("drops an older search's answer that arrives after a newer one started", async () => {
    const { search, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const typing = latestSearch(search, handlers);
    typing.input("jean");
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    typing.input("jeanne");
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    pending.get("jeanne")!.resolve(["jeanne"]);
    pending.get("jean")!.resolve(["jean", "jeanne"]);
    await vi.runAllTimersAsync();
    expect(events.filter((event) => event.startsWith("result"))).toEqual(["result jeanne: jeanne"]);
  });

  it("drops a late failure too, and reports the latest one", async () => {
    const { search, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const typing = latestSearch(search, handlers);
    typing.input("a");
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    typing.input("ab");
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    pending.get("a")!.reject("offline");
    pending.get("ab")!.reject("server error");
    await vi.runAllTimersAsync();
    expect(events.filter((event) => event.startsWith("failure"))).toEqual(["failure ab: server error"]);
  });

  it("clears on an empty field, and an answer still on its way is dropped", async () => {
    const { search, asked, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const typing = latestSearch(search, handlers);
    typing.input("bob");
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    typing.input("  ");
    pending.get("bob")!.resolve(["bob"]);
    await vi.runAllTimersAsync();
    expect(asked).toEqual(["bob"]);
    expect(events).toEqual(["searching bob", "cleared"]);
  });

  it("searches blank terms when asked to, and at once with now()", async () => {
    const { search, asked, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const directory = latestSearch(search, handlers, { searchBlank: true });
    directory.now("");
    expect(asked).toEqual([""]);
    pending.get("")!.resolve(["general"]);
    await vi.runAllTimersAsync();
    expect(events).toEqual(["searching ", "result : general"]);
  });

  it("cancel() forgets what is waiting and what is on its way", async () => {
    const { search, asked, pending } = controlledSearch();
    const { events, handlers } = recorder();
    const typing = latestSearch(search, handlers);
    typing.now("x");
    typing.cancel();
    typing.input("xy");
    typing.cancel();
    pending.get("x")!.resolve(["x"]);
    await vi.runAllTimersAsync();
    expect(asked).toEqual(["x"]);
    expect(events).toEqual(["searching x", "searching xy"]);
  });
});

describe("naming people", () => {
  const strip = (text: string) => text.replace(/[\u2066-\u2069]/g, "");

  it("names an option by name and ID", () => {
    const person = { user_id: "@j.dupont:example.org", display_name: "Jean Dupont" };
    expect(strip(optionName(person))).toBe("Jean Dupont, @j.dupont:example.org");
    expect(personLabel(person)).toBe("Jean Dupont");
  });

  it("isolates the name, so that right-to-left text cannot reorder the ID", () => {
    const person = { user_id: "@x:example.org", display_name: "\u202Eevil" };
    expect(optionName(person)).toBe("\u2068\u202Eevil\u2069, \u2068@x:example.org\u2069");
  });

  it("uses the ID alone when there is no name, or an empty one", () => {
    expect(optionName({ user_id: "@bob:example.org", display_name: null })).toBe("@bob:example.org");
    expect(optionName({ user_id: "@bob:example.org", display_name: "  " })).toBe("@bob:example.org");
    expect(personLabel({ user_id: "@bob:example.org", display_name: null })).toBe("@bob:example.org");
  });
});
