import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jaroWinkler, nameSimilarity } from "./name-similarity.js";
import { pickBestMatch, scoreMatch } from "./score-match.js";

describe("jaroWinkler", () => {
  it.each([
    ["MARTHA", "MARHTA", 0.961],
    ["DWAYNE", "DUANE", 0.84],
    ["DIXON", "DICKSONX", 0.813],
    ["", "", 1],
    ["abc", "", 0],
  ])("%s ~ %s = %f", (a, b, expected) => {
    expect(jaroWinkler(a, b)).toBeCloseTo(expected, 3);
  });

  it("compares names case-, accent- and space-insensitively", () => {
    expect(nameSimilarity("  José  María ", "jose maria")).toBe(1);
  });

  it("is symmetric and within 0..1", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const s = jaroWinkler(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1 + 1e-12);
        expect(jaroWinkler(b, a)).toBeCloseTo(s, 12);
      }),
    );
  });
});

const ada = {
  id: 7,
  email: "ada@example.org",
  givenName: "Ada",
  surname: "Lovelace",
  dateOfBirth: "1815-12-10",
};

describe("scoreMatch (the worked examples of docs/matching.md)", () => {
  it.each([
    { title: "everything equal", input: { ...ada }, score: 100, eligible: true },
    {
      title: "same email and surname, similar given name, no date of birth",
      input: { email: "ADA@example.org ", givenName: "Adah", surname: "Lovelace" },
      score: 88.8,
      eligible: true,
      candidate: { ...ada, dateOfBirth: null },
    },
    {
      title: "same email, someone else's given name",
      input: { email: "ada@example.org", givenName: "Zbigniew", surname: "Lovelace" },
      score: 70,
      eligible: false,
    },
    {
      title: "other email, same names and date of birth",
      input: { email: "ada.l@example.com", givenName: "Ada", surname: "Lovelace", dateOfBirth: "1815-12-10" },
      score: 50,
      eligible: true,
    },
    {
      title: "same email and names, other date of birth",
      input: { ...ada, dateOfBirth: "1990-01-01" },
      score: 50,
      eligible: true,
    },
    { title: "only the email", input: { email: "ada@example.org" }, score: 50, eligible: true },
  ])("$title → $score", ({ input, score, eligible, candidate }) => {
    const result = scoreMatch(candidate ?? ada, input);
    expect(result.score).toBe(score);
    expect(result.eligible).toBe(eligible);
  });

  it("an identical input scores 100 and the score stays within 0..100", () => {
    const person = fc.record({
      email: fc.option(fc.emailAddress()),
      givenName: fc.option(fc.string()),
      surname: fc.option(fc.string()),
      dateOfBirth: fc.option(fc.constantFrom("1990-01-01", "2000-02-29")),
    });
    fc.assert(
      fc.property(person, person, (a, b) => {
        const { score } = scoreMatch(a, b);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
      }),
    );
    expect(scoreMatch(ada, ada).score).toBe(100);
  });
});

describe("pickBestMatch", () => {
  it("takes the best score at or above the threshold; a tie goes to the highest id", () => {
    const twin = { ...ada, id: 9 };
    expect(pickBestMatch([ada, twin], ada)).toEqual({ id: 9, score: 100 });
    expect(pickBestMatch([ada], { email: ada.email })).toBeNull();
    expect(
      pickBestMatch([ada], { email: ada.email }, { minConfirmedScore: 50, minNameSimilarity: 0.4 }),
    ).toEqual({ id: 7, score: 50 });
  });

  it("never picks an ineligible candidate, whatever the threshold", () => {
    expect(
      pickBestMatch(
        [ada],
        { email: ada.email, givenName: "Zbigniew" },
        { minConfirmedScore: 0, minNameSimilarity: 0.4 },
      ),
    ).toBeNull();
  });
});
