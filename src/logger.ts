import pino, { type Logger } from "pino";

/** pino JSON logs, or colourised lines for people with --pretty. */
export function createLogger(options: { level: string; pretty: boolean; destination?: 1 | 2 }): Logger {
  const fd = options.destination ?? 1;
  if (options.pretty) {
    return pino({
      level: options.level,
      transport: { target: "pino-pretty", options: { destination: fd, translateTime: "SYS:standard" } },
    });
  }
  return pino({ level: options.level }, pino.destination(fd));
}
