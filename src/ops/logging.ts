/**
 * Where pino writes: pretty one-line logs (pino-pretty, in this thread, synchronous) when standard output
 * is a terminal, JSON lines otherwise (for log collectors). One place for the web's and the engine's thread.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import PinoPretty from "pino-pretty";

/** Whether this process's standard output is a terminal: the engine thread is told, as its own is not. */
export const stdoutIsTerminal = (): boolean => process.stdout.isTTY === true;

/** `to` is standard output unless a test passes a stream to read the lines from. */
export function logDestination(pretty: boolean, to: DestinationStream | 1 = 1): DestinationStream {
  if (!pretty) return to === 1 ? pino.destination({ dest: 1, sync: true }) : to;
  return PinoPretty({
    sync: true,
    singleLine: true,
    colorize: true,
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname",
    destination: to,
  });
}

export function makeLogger(level: string, pretty: boolean): Logger {
  return pino({ level }, logDestination(pretty));
}
