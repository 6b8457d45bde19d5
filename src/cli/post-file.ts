import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { pipeline } from "node:stream/promises";
import { isJson, notTributaryApi } from "./server-answer.js";

/**
 * POSTs a file as the request body with backpressure, answering the status and the parsed JSON body; an
 * answer that is not JSON (a proxy's error page) is refused as not Tributary's API.
 * Not fetch: undici reads a streamed body as fast as the disk gives it, whatever the server takes, so a
 * 550 MB upload to a busy server held most of the file in the CLI's memory (measured: 676 MB peak RSS).
 * Once the server has answered, the rest of the file is not sent: an upload's 202 comes after its last byte,
 * but a refusal (401, 413) or a preview (its first rows of a file that may be gigabytes) comes before.
 */
export async function postFile(
  url: URL,
  headers: Record<string, string>,
  file: string,
  /** aborts the upload (Ctrl-C): the request is destroyed and the promise rejects */
  signal?: AbortSignal,
): Promise<{ status: number; body: unknown }> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      { method: "POST", headers: { ...headers, "content-length": String(statSync(file).size) }, signal },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (part: string) => {
          text += part;
        });
        response.on("end", () => {
          request.destroy();
          const status = response.statusCode ?? 0;
          const type = response.headers["content-type"];
          const notApi = notTributaryApi(url, status, response.statusMessage, type);
          if (!isJson(type)) return reject(notApi);
          try {
            resolve({ status, body: text === "" ? {} : JSON.parse(text) });
          } catch {
            reject(notApi);
          }
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    // A server that refuses early (413, 401) may close before the body is sent: its answer still counts.
    pipeline(createReadStream(file), request).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
  });
}
