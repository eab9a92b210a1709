/** Signs a bench user in through the login form (CSRF token and all) and returns the session cookie. */
import type { buildApp } from "../src/web/app.js";

export async function signIn(
  app: Awaited<ReturnType<typeof buildApp>>,
  email: string,
  password: string,
): Promise<string> {
  const token = /name="_csrf" value="([^"]+)"/;
  const loginPage = await app.inject({ method: "GET", url: "/login" });
  const cookies = loginPage.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const login = await app.inject({
    method: "POST",
    url: "/login",
    headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({
      email,
      password,
      _csrf: token.exec(loginPage.body)?.[1] ?? "",
    }).toString(),
  });
  const session = login.cookies.find((c) => c.name === "pp_session");
  if (!session) throw new Error(`login failed: ${login.statusCode}`);
  return `pp_session=${session.value}`;
}
