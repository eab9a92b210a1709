/** /api/v1/me and /api/v1/stats: who the token acts as, and the home page's figures. */
import type { Services } from "../container.js";
import type { ApiRouter } from "./router.js";
import { meOut, statsOut } from "./schemas.js";

export function accountApi(api: ApiRouter, { dashboard }: Services): void {
  const tag = "Account";
  api.route({
    method: "GET",
    path: "/me",
    tag,
    summary: "The user this token acts as",
    status: 200,
    response: meOut,
    problems: [],
    handler: async ({ user }) => user,
  });
  api.route({
    method: "GET",
    path: "/stats",
    tag,
    summary: "The home page figures: mailings, active (running) mailings, unique recipients",
    status: 200,
    response: statsOut,
    problems: [],
    handler: async ({ user }) => {
      const f = await dashboard.figures(user);
      return {
        mailings: f.mailings,
        active_mailings: f.activeMailings,
        unique_recipients: f.uniqueRecipients,
        scope: f.scope === "all" ? ("all" as const) : ("own" as const),
      };
    },
  });
}
