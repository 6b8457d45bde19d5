import { nameSimilarity, normaliseName } from "./name-similarity.js";

/** What a scored match compares: the Personal Identifier fields of a stored contact or an input. */
export interface PersonalIdentifierFields {
  id?: number;
  email?: string | null;
  givenName?: string | null;
  surname?: string | null;
  /** YYYY-MM-DD */
  dateOfBirth?: string | null;
}

export interface MatchOptions {
  /** 0–100: a candidate scoring below it is no match (Hobsons contactMatchingMinConfirmedScore, default 82) */
  minConfirmedScore: number;
  /** 0–1: a given-name similarity below it rules a candidate out (contactMatchingMinNameSimilarity, default 0.4) */
  minNameSimilarity: number;
}

export const defaultMatchOptions: MatchOptions = { minConfirmedScore: 82, minNameSimilarity: 0.4 };

// Weights (docs/matching.md): the email is the strongest single signal; names refine it; a date of birth
// on both sides either confirms (+10) or, when it differs, says "another person" (-40).
export const matchWeights = {
  email: 50,
  givenName: 20,
  surname: 20,
  dateOfBirthEqual: 10,
  dateOfBirthDiffers: -40,
};

export interface MatchScore {
  score: number;
  /** false when a rule rules the candidate out whatever its score (given names too unlike) */
  eligible: boolean;
  reasons: string[];
}

const emailKey = (value: string | null | undefined) => (value ?? "").trim().toLowerCase();

/** Scores how surely a stored contact is the person an input describes, 0–100, with the reasons. */
export function scoreMatch(
  candidate: PersonalIdentifierFields,
  input: PersonalIdentifierFields,
  options: MatchOptions = defaultMatchOptions,
): MatchScore {
  const reasons: string[] = [];
  let score = 0;
  let eligible = true;
  const email = emailKey(input.email);
  if (email !== "" && email === emailKey(candidate.email)) {
    score += matchWeights.email;
    reasons.push(`email equal (+${matchWeights.email})`);
  }
  const bothGiven = normaliseName(input.givenName) !== "" && normaliseName(candidate.givenName) !== "";
  if (bothGiven) {
    const given = nameSimilarity(candidate.givenName, input.givenName);
    score += matchWeights.givenName * given;
    reasons.push(
      `given name similarity ${given.toFixed(2)} (+${(matchWeights.givenName * given).toFixed(1)})`,
    );
    if (given < options.minNameSimilarity) {
      eligible = false;
      reasons.push(`given name similarity below ${options.minNameSimilarity}: another person`);
    }
  }
  if (normaliseName(input.surname) !== "" && normaliseName(candidate.surname) !== "") {
    const surname = nameSimilarity(candidate.surname, input.surname);
    score += matchWeights.surname * surname;
    reasons.push(
      `surname similarity ${surname.toFixed(2)} (+${(matchWeights.surname * surname).toFixed(1)})`,
    );
  }
  const dobIn = (input.dateOfBirth ?? "").slice(0, 10);
  const dobStored = (candidate.dateOfBirth ?? "").slice(0, 10);
  if (dobIn !== "" && dobStored !== "") {
    if (dobIn === dobStored) {
      score += matchWeights.dateOfBirthEqual;
      reasons.push(`date of birth equal (+${matchWeights.dateOfBirthEqual})`);
    } else {
      score += matchWeights.dateOfBirthDiffers;
      reasons.push(`date of birth differs (${matchWeights.dateOfBirthDiffers})`);
    }
  }
  return { score: Math.round(Math.min(100, Math.max(0, score)) * 10) / 10, eligible, reasons };
}

/** The candidate that is the input's person: the best eligible score at or above the threshold; a tie goes to the highest id. */
export function pickBestMatch(
  candidates: readonly (PersonalIdentifierFields & { id: number })[],
  input: PersonalIdentifierFields,
  options: MatchOptions = defaultMatchOptions,
): { id: number; score: number } | null {
  let best: { id: number; score: number } | null = null;
  for (const candidate of candidates) {
    const { score, eligible } = scoreMatch(candidate, input, options);
    if (!eligible || score < options.minConfirmedScore) continue;
    if (!best || score > best.score || (score === best.score && candidate.id > best.id))
      best = { id: candidate.id, score };
  }
  return best;
}
