/** The app's routes as "METHOD /path" strings, read from Fastify's route tree (HEAD left out: it mirrors GET). */
import type { FastifyInstance } from "fastify";

export function allRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^(.*?)[├└]── (.+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack[depth] = (depth > 0 ? stack[depth - 1]! : "") + match[2]!;
    const path = stack[depth]!.replace(/^\/\//, "/");
    for (const method of match[3]!.split(", ")) if (method !== "HEAD") routes.push(`${method} ${path}`);
  }
  return [...new Set(routes)].sort();
}
