import { describe, expect, it } from "vitest";
import { englishLeft, KEY, RU, visibleText } from "../helpers/russian.js";
import { build, Client, idFromLocation, PASSWORD, setupAdmin } from "../helpers/web.js";

/** Names this test creates: they stay as they are in any language. */
const NAMES = ["Hello", "News", "you", "Admin", "UTC", "Body", "text"];
/**
 * Words of shared components other areas translate (web/components.tsx's scope toggle): listed so this
 * test checks this area's own words; they go once those components use keys.
 */
const SHARED = ["Mine", "All", "users", "Whose", "rows"];
/** On the mailing's page: admin's MailingToggle and audiences' AudienceSummary, translated in their areas. */
const OTHER_AREAS = [
  "Disable",
  "about",
  "now",
  "resolved",
  "again",
  "at",
  "each",
  "send",
  "individually",
  "picked",
];

async function russianAdmin(app: Parameters<typeof setupAdmin>[0]): Promise<Client> {
  await setupAdmin(app);
  const client = new Client(app, RU);
  await client.post("/login", { email: "admin@example.com", password: PASSWORD }, { from: "/login" });
  return client;
}

const mailingForm = (message: number, extra: Record<string, string> = {}) => ({
  name: "News",
  message_id: String(message),
  first_send_at: "2099-01-01T09:00",
  end_at: "2099-02-01T09:00",
  periodicity: "once",
  time_zone: "UTC",
  recipient_mode: "all",
  ...extra,
});

function russian(page: { body: string }, url: string) {
  expect(page.body, url).toContain('<html lang="ru">');
  expect(englishLeft(page.body, [...NAMES, ...SHARED, ...OTHER_AREAS]), url).toEqual([]);
  // Addresses (the recipients' emails) are data, not keys.
  expect(
    visibleText(page.body)
      .replace(/\S+@\S+/g, " ")
      .match(KEY),
    url,
  ).toBeNull();
}

describe("mailings, runs, reports and the dashboard in Russian", () => {
  it("has no English and no key left on the mailing pages, and keeps English for English readers", async () => {
    const { app } = await build();
    const ru = await russianAdmin(app);
    russian(await ru.get("/mailings"), "/mailings (empty)");
    russian(await ru.get("/"), "/ (empty)");
    russian(await ru.get("/reports"), "/reports (empty)");
    for (const email of ["a1@example.com", "a2@example.com"]) {
      await ru.post("/recipients/new", { email }, { from: "/recipients/new" });
    }
    const message = idFromLocation(
      await ru.post(
        "/messages/new",
        { subject: "Hello <you>", body: "Body text" },
        { from: "/messages/new" },
      ),
    );
    await ru.get("/recipients"); // shows (and so clears) the other areas' flashes of the posts above
    const newForm = await ru.get("/mailings/new");
    russian(newForm, "/mailings/new");
    expect(newForm.body).toContain("Новая рассылка");
    // A refused form comes back in Russian.
    const refused = await ru.post(
      "/mailings/new",
      mailingForm(message, { periodicity: "daily", end_at: "" }),
      {
        from: "/mailings/new",
      },
    );
    expect(refused.statusCode).toBe(422);
    russian(refused, "refused form");
    expect(refused.body).toContain("Для повторяющейся рассылки нужно указать окончание.");

    const created = await ru.post("/mailings/new", mailingForm(message), { from: "/mailings/new" });
    const id = idFromLocation(created);
    const detail = await ru.get(`/mailings/${id}`);
    russian(detail, "detail");
    expect(detail.body).toContain("Рассылка «News» создана.");
    expect(detail.body).toContain("Ближайшие отправки");
    for (const url of [
      "/mailings",
      `/mailings/${id}/edit`,
      `/mailings/${id}/delete`,
      `/mailings/${id}/send`,
      `/mailings/${id}/recipients`,
      "/",
    ]) {
      russian(await ru.get(url), url);
    }
    // Russian plurals: none picked one by one ("0 получателей"), and "each of its 2 recipients".
    expect((await ru.get(`/mailings/${id}/recipients`)).body).toMatch(/0 получателей<\/strong> выбраны/);
    expect((await ru.get(`/mailings/${id}/send`)).body).toContain(
      "Каждый из её <strong>2</strong> получателей",
    );

    const sent = await ru.post(`/mailings/${id}/send`, {}, { from: `/mailings/${id}/send` });
    const runUrl = sent.headers.location as string;
    const run = await ru.get(runUrl);
    russian(run, "run page");
    expect(run.body).toContain("Отправка начата (получателей: 2).");
    expect(run.body).toContain("table-cards");
    const progress = JSON.parse((await ru.get(`${runUrl}/progress`)).body);
    expect(["Отправляется", "Отправлен"]).toContain(progress.outcome_label);
    russian(await ru.get(`/mailings/${id}`), "detail with runs");
    russian(await ru.get("/reports?user=all"), "reports of all users");
    expect((await ru.get("/reports")).body).toContain("Отчёты");

    // English readers see the English wording.
    const en = await setupEnglish(app);
    const list = await en.get("/mailings");
    expect(list.body).toContain("New mailing");
    const enDetail = await en.get(`/mailings/${id}`);
    expect(enDetail.body).toContain("Next planned sends");
    expect((await en.get(runUrl)).body).toContain("Mail server response");
    expect((await en.get("/reports?user=all")).body).toContain("By user");
  });
});

async function setupEnglish(app: Parameters<typeof setupAdmin>[0]): Promise<Client> {
  const client = new Client(app, { "accept-language": "en" });
  await client.post("/login", { email: "admin@example.com", password: PASSWORD }, { from: "/login" });
  return client;
}
