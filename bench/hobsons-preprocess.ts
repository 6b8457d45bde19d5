// npm run bench -- hobsons-preprocess
// Groups 10,000 and 100,000 flat rows (5 rows per person, each adding a collection item) with the
// Hobsons pre-processor and prints rows/s for both and their ratio: linear time keeps it near 1.
import { groupFlatRows } from "../src/dialects/hobsons/group-flat-rows.js";

function rows(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const p = Math.floor(i / 5);
    return {
      EmailAddress: `person${p}@example.edu`,
      Name: `Given${p}`,
      Surname: `Family${p}`,
      DateOfBirth: "2001-02-03T00:00:00",
      Mobile: "0400 000 000",
      HeatStatus: "Warm",
      Tag: `Tag${i % 5}`,
      ConsentType: i % 5 === 0 ? "Email" : null,
      Consent: i % 5 === 0 ? true : null,
      ActivityPreferenceNumber: (i % 5) + 1,
      ActivityCourse: `Course ${i % 5}`,
      CommunicationType: "Email",
      CommunicationSubject: `Hello ${i % 5}`,
    };
  });
}

function rate(n: number): { rowsPerSecond: number; seconds: number } {
  const input = rows(n);
  groupFlatRows(input.slice(0, 1000));
  const t0 = performance.now();
  const { contacts, errors } = groupFlatRows(input);
  const seconds = (performance.now() - t0) / 1000;
  if (errors.length > 0 || contacts.length !== n / 5) throw new Error("unexpected grouping");
  return { rowsPerSecond: n / seconds, seconds };
}

const small = rate(10_000);
const large = rate(100_000);
console.log("| rows | seconds | rows/s |");
console.log("|---|---|---|");
console.log(
  `| 10,000 | ${small.seconds.toFixed(3)} | ${Math.round(small.rowsPerSecond).toLocaleString("en-US")} |`,
);
console.log(
  `| 100,000 | ${large.seconds.toFixed(3)} | ${Math.round(large.rowsPerSecond).toLocaleString("en-US")} |`,
);
console.log(
  `ratio (100k rate / 10k rate): ${(large.rowsPerSecond / small.rowsPerSecond).toFixed(2)}; target: 100,000 rows under 2 s`,
);
