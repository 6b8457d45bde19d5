/**
 * Cookie reading that tolerates junk: ServiceStack's Node client splits `Set-Cookie` on commas, so it
 * sends back pairs such as `01 Jan 2037 00:00:00 GMT=null`. Anything that is not `name=value` is skipped;
 * the first occurrence of a name wins, as browsers send the most specific cookie first.
 */
export function readCookies(header: string | string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  const text = Array.isArray(header) ? header.join(";") : (header ?? "");
  for (const pair of text.split(";")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name === "" || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

/**
 * A `Set-Cookie` value. Lifetimes use Max-Age, never Expires: an Expires date holds a comma, which is
 * exactly what makes ServiceStack's Node client invent junk cookies.
 */
export function setCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds?: number; httpOnly?: boolean; secure?: boolean } = {},
): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "SameSite=Lax"];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.httpOnly !== false) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}
