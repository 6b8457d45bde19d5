import { CliError } from "./cli-error.js";

/**
 * The refusal for an answer that is not Tributary's API (a proxy's HTML error page, another service on the
 * port): one line naming the URL and the HTTP status, instead of a JSON parser's stack trace.
 */
export function notTributaryApi(
  url: string | URL,
  status: number,
  statusText: string | undefined,
  contentType: string | null | undefined,
): CliError {
  const { origin, pathname } = new URL(url);
  const what = contentType?.split(";")[0].trim() || "no content type";
  return new CliError(
    `${origin}${pathname} answered ${status}${statusText ? ` ${statusText}` : ""} with ${what}, not Tributary's API`,
  );
}

/** Whether a Content-Type is JSON, as every answer of Tributary's API but a file's is. */
export const isJson = (contentType: string | null | undefined): boolean =>
  /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType ?? "");

/** A server's JSON answer (`{}` for one with no body, a 204); anything else is refused by `notTributaryApi`. */
export async function jsonAnswer<T = Record<string, unknown>>(res: Response): Promise<T> {
  if (res.status === 204) return {} as T;
  const type = res.headers.get("content-type");
  const refusal = () => notTributaryApi(res.url, res.status, res.statusText, type);
  if (!isJson(type)) {
    await res.body?.cancel().catch(() => {});
    throw refusal();
  }
  try {
    return (await res.json()) as T;
  } catch {
    throw refusal();
  }
}
