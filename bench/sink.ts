/**
 * A minimal SMTP sink on raw sockets for the send bench: greets new connections at once (unlike the
 * smtp-server package, which waits 100 ms), accepts every message, and can delay every reply by a fixed
 * number of milliseconds (a nearby provider). Run as a child process:
 *   node dist/bench/bench/sink.js [delayMs]   → prints "port <n>" and counts messages until SIGTERM.
 */
import net from "node:net";

export interface Sink {
  port: number;
  received(): number;
  close(): Promise<void>;
}

export function startSink(delayMs = 0): Promise<Sink> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setNoDelay(true);
    let buffer = "";
    let inData = false;
    const reply = (text: string, then?: () => void) => {
      const send = () => {
        if (!socket.destroyed) socket.write(text);
        then?.();
      };
      if (delayMs > 0) setTimeout(send, delayMs);
      else send();
    };
    socket.write("220 sink ESMTP ready\r\n");
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end === -1) {
            // Keep only a tail that may hold a split terminator.
            if (buffer.length > 8) buffer = buffer.slice(-8);
            return;
          }
          buffer = buffer.slice(end + 5);
          inData = false;
          count++;
          reply(`250 2.0.0 Ok: queued as ${count}\r\n`);
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol === -1) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") reply("250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n");
        else if (verb === "HELO") reply("250 sink\r\n");
        else if (verb === "MAIL" || verb === "RCPT" || verb === "RSET" || verb === "NOOP")
          reply("250 2.1.0 Ok\r\n");
        else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (verb === "QUIT") reply("221 2.0.0 Bye\r\n", () => socket.end());
        else reply("502 5.5.2 Command not recognized\r\n");
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        received: () => count,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

// As a child process: the bench runs the sink on the other core.
if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const sink = await startSink(Number(process.argv[2] ?? 0));
  process.stdout.write(`port ${sink.port}\n`);
  process.on("SIGTERM", async () => {
    await sink.close();
    process.exit(0);
  });
}
