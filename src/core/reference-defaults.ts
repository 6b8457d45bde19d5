import type { ReferenceKind } from "./contact-fields.js";

export interface ReferenceDefault {
  kind: ReferenceKind;
  name: string;
  code?: string;
  /** the parent's name, for sub-channels (their channel) */
  parent?: string;
}

// ISO 3166-1 alpha-2, all 249 officially assigned codes; English names come from the ICU data Node ships.
const isoCountryCodes =
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA
GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY
MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW`
    .split(/\s+/)
    .filter(Boolean);

/** The ISO 3166-1 alpha-2 codes Tributary knows, upper case. */
export const countryCodes: readonly string[] = isoCountryCodes;

/** Every country with its English name, for seeding a tenant's country list. */
export function defaultCountries(): ReferenceDefault[] {
  const names = new Intl.DisplayNames(["en"], { type: "region" });
  return isoCountryCodes.map((code) => ({ kind: "country", code, name: names.of(code) ?? code }));
}

/** The reference rows a new tenant starts with; admins rename, add and deactivate from there. */
export function defaultReferenceData(): ReferenceDefault[] {
  const named = (kind: ReferenceKind, names: string[]): ReferenceDefault[] =>
    names.map((name) => ({ kind, name }));
  return [
    ...named("salutation", ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Rev"]),
    ...defaultCountries(),
    ...named("heat_status", ["Cold", "Warm", "Hot"]),
    // Hobsons accepts only sub-channels of the channel named "External" on writes through its API.
    ...named("channel", ["External", "Internal"]),
    ...["Web Form", "Event", "Student Records", "Marketing List", "Partner CRM", "Import"].map(
      (name): ReferenceDefault => ({ kind: "sub_channel", name, parent: "External" }),
    ),
    ...["Manual Entry", "Walk-in", "Phone"].map(
      (name): ReferenceDefault => ({ kind: "sub_channel", name, parent: "Internal" }),
    ),
    ...named("contact_status", [
      "Enquirer",
      "Prospect",
      "Applicant",
      "Offer",
      "Enrolled",
      "Alumni",
      "Not Interested",
    ]),
    ...named("intake", ["Semester 1", "Semester 2", "Summer"]),
  ];
}
