import { describe, expect, it } from "vitest";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { ViewLinks } from "../../src/templates/view-links.js";
import { deliveriesOf } from "../delivery/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { englishLeft, RU } from "../helpers/russian.js";
import { build, setupAdmin, TEST_UNSUBSCRIBE_SECRET } from "../helpers/web.js";

const URL_OK = "https://93.184.216.34/hooks";

/** What the user wrote (form fields, HTML source, previews of their frames) is theirs: not checked. */
const withoutUserText = (html: string) => html.replace(/<(textarea|pre|code)\b[\s\S]*?<\/\1>/g, " ");

describe("content pages in Russian", () => {
  it("messages, senders, webhooks and layouts: lists and flashes in Russian, English unchanged", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "ru" }, { from: "/profile" });

    const created = await admin.post(
      "/messages/new",
      { subject: "Новости", body: "Привет", format: "text" },
      { from: "/messages/new" },
    );
    expect(created.statusCode).toBe(303);
    const message = await admin.get(created.headers.location as string);
    expect(message.body).toContain("Письмо создано.");

    const sender = await admin.post(
      "/admin/senders/new",
      { from_name: "Пекарня", from_email: "bakery@example.com", postal_address: "Москва, ул. Пекарная, 1" },
      { from: "/admin/senders/new" },
    );
    expect(sender.statusCode).toBe(303);
    const senders = await admin.get(sender.headers.location as string);
    expect(senders.body).toContain("создан.");
    expect(senders.body).toContain("Отправители");
    expect(englishLeft(senders.body, ["SMTP_FROM", "FROM"])).toEqual([]);
    const refused = await admin.post(
      "/admin/senders/new",
      { from_name: "", from_email: "bakery@example.com", postal_address: " " },
      { from: "/admin/senders/new" },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Поле «Имя отправителя» обязательно.");
    expect(refused.body).toContain("Укажите почтовый адрес: по закону массовые рассылки");

    const webhooks = await admin.get("/webhooks");
    expect(webhooks.body).toContain("Адресов пока нет");
    const layouts = await admin.get("/layouts");
    expect(englishLeft(layouts.body, ["HTML-", "default", "content", "UTC"])).toEqual([]);

    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "en" }, { from: "/profile" });
    expect((await admin.get("/admin/senders")).body).toContain("New sender");
    expect((await admin.get("/webhooks")).body).toContain("No endpoints yet");
  });

  it("a layout's page, its form, its delete page and its Liquid errors in Russian; English unchanged", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "ru" }, { from: "/profile" });

    const created = await admin.post(
      "/layouts/new",
      { name: "Праздничный", html: "<main>{{ content }}</main>{{ unsubscribe_url }}", text: "" },
      { from: "/layouts/new" },
    );
    expect(created.statusCode).toBe(303);
    const url = created.headers.location as string;

    const detail = await admin.get(url);
    expect(detail.body).toContain("Макет создан.");
    expect(detail.body).toContain("Где используется");
    expect(detail.body).toContain("Этот макет пока не использует ни одно письмо.");
    expect(englishLeft(withoutUserText(detail.body), ["HTML"])).toEqual([]);
    // The sample message around which the layout is shown is in Russian too (the sample recipient is Ada).
    expect(detail.body).toContain("Здравствуйте, Ada!");
    const framed = await admin.get(`${url}/preview`);
    expect(framed.body).toContain("Здесь будет ваше письмо.");
    expect(framed.body).toContain("Ссылка в письме");

    const edit = await admin.get(`${url}/edit`);
    expect(edit.body).toContain("Изменить: Праздничный");
    expect(edit.body).toContain("Сохранить изменения");
    expect(englishLeft(withoutUserText(edit.body), ["HTML", "Liquid"])).toEqual([]);
    const fresh = await admin.get("/layouts/new");
    expect(fresh.body).toContain("Создать макет");
    expect(englishLeft(withoutUserText(fresh.body), ["HTML", "Liquid"])).toEqual([]);

    const remove = await admin.get(`${url}/delete`);
    expect(remove.body).toContain("Удалить «Праздничный»?");
    expect(remove.body).toContain("Макет будет удалён.");
    expect(englishLeft(remove.body)).toEqual([]);

    const noContent = await admin.post(
      `${url}/edit`,
      { name: "Праздничный", html: "<main>{{ content }}</main>", text: "без метки" },
      { from: `${url}/edit` },
    );
    expect(noContent.statusCode).toBe(422);
    expect(noContent.body).toContain(
      "Поле «Текст» должно содержать {{ content }} там, где должно быть письмо.",
    );
    const refused = await admin.post(
      `${url}/edit`,
      { name: "Праздничный", html: "<main>{{ content }}</main>{{ recipient.nmae }}", text: "" },
      { from: `${url}/edit` },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Строка 1, столбец 30: неизвестная переменная: recipient.nmae");
    expect(englishLeft(withoutUserText(refused.body), ["HTML", "Liquid", "recipient", "nmae"])).toEqual([]);

    const preview = await admin.post(
      "/layouts/preview",
      { html: "{{ content }} {% if x %}", text: "" },
      { from: `${url}/edit` },
    );
    expect(preview.body).toContain("Макет нельзя показать, пока это не исправлено:");
    expect(preview.body).toContain("HTML: Строка 1, столбец 15: тег {% if x %} не закрыт");

    // Once a message uses it, the layout says so and cannot be deleted, in Russian.
    const layoutId = url.split("/").pop() as string;
    const message = await admin.post(
      "/messages/new",
      { subject: "Весна", body: "Привет", format: "markdown", layout_id: layoutId },
      { from: "/messages/new" },
    );
    expect(message.statusCode).toBe(303);
    expect((await admin.get(url)).body).toContain("1 письмо, ваши:");
    expect((await admin.get(`${url}/delete`)).body).toContain(
      "Этот макет использует 1 письмо, поэтому удалить его нельзя.",
    );
    const inUse = await admin.post(`${url}/delete`, {}, { from: `${url}/delete` });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.body).toContain("Этот макет нельзя удалить: его использует письмо.");
    expect(englishLeft(inUse.body)).toEqual([]);

    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "en" }, { from: "/profile" });
    const englishDetail = await admin.get(url);
    expect(englishDetail.body).toContain("1 message, yours:");
    expect(englishDetail.body).toContain("Hello Ada,");
    const english = await admin.post(
      `${url}/edit`,
      { name: "Праздничный", html: "<main>{{ content }}</main>{{ recipient.nmae }}", text: "" },
      { from: `${url}/edit` },
    );
    expect(english.body).toContain("Line 1, column 30: unknown variable: recipient.nmae");
  });

  it("a webhook endpoint's page and its edit form in Russian, with the form's errors", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "ru" }, { from: "/profile" });

    const created = await admin.post(
      "/webhooks",
      { url: URL_OK, description: "Магазин", events: ["run.finished"] },
      { from: "/webhooks/new" },
    );
    expect(created.statusCode).toBe(200);
    expect(created.body).toContain("Скопируйте его сейчас");
    const endpoint = await database.db.selectFrom("webhook_endpoints").selectAll().executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const event = await database.db
      .insertInto("webhook_events")
      .values({
        endpoint_id: endpoint.id,
        uid: "evt_ru",
        type: "run.finished",
        payload: "{}",
        status: "failed",
        tries: 2,
        created_at: now,
        delivered_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto("webhook_attempts")
      .values({
        endpoint_id: endpoint.id,
        request_id: "req_ru",
        event_ids: JSON.stringify([event.id]),
        event_count: 1,
        outcome: "timeout",
        status_code: null,
        error: "No answer within 10000 ms",
        duration_ms: 10000,
        attempted_at: now,
      })
      .execute();
    await database.db
      .updateTable("webhook_endpoints")
      .set({ enabled: 0, disabled_reason: `Disabled automatically: every request failed since ${now}.` })
      .execute();

    const page = await admin.get(`/webhooks/${endpoint.id}`);
    expect(page.body).toContain("Последние запросы");
    expect(page.body).toContain("Нет ответа за 10000 мс");
    expect(page.body).toContain("не доставлено (2 попытки)");
    expect(page.body).toContain("Выключен автоматически");
    // The endpoint's URL, its event types and event ids are codes.
    const codes = ["http", "https", "hooks", "run", "finished", "evt", "ru"];
    expect(englishLeft(withoutUserText(page.body), [...codes, "UTC"])).toEqual([]);

    const form = await admin.get(`/webhooks/${endpoint.id}/edit`);
    expect(form.body).toContain("Изменить адрес вебхука");
    expect(form.body).toContain("Сохранить адрес");
    expect(englishLeft(withoutUserText(form.body), codes)).toEqual([]);
    const refused = await admin.post(
      `/webhooks/${endpoint.id}/edit`,
      { url: "ftp://example.com/", description: "Магазин" },
      { from: `/webhooks/${endpoint.id}/edit` },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Введите URL, начинающийся с http:// или https://.");
    expect(refused.body).toContain("Выберите хотя бы одно событие.");
    expect(englishLeft(withoutUserText(refused.body), codes)).toEqual([]);

    const remove = await admin.get(`/webhooks/${endpoint.id}/delete`);
    expect(remove.body).toContain("События в очереди будут отброшены.");
    expect(englishLeft(remove.body, codes)).toEqual([]);

    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "en" }, { from: "/profile" });
    const english = await admin.get(`/webhooks/${endpoint.id}`);
    expect(english.body).toContain("Latest requests");
    expect(english.body).toContain("failed (2 tries)");
  });

  it("the view-in-browser page says in Russian that a link leads nowhere, and shows the copy", async () => {
    const t = await build();
    const seeded = await seedMailing(t.database.db, {
      recipients: ["ivan@example.com"],
      message: { subject: "Новости", body: "Здравствуйте, {{ recipient.email }}!", format: "text" },
    });
    const created = await new KyselyRunsStore(t.database).createRun({
      mailingId: seeded.mailing.id,
      trigger: "web",
      actorUserId: seeded.user.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
    const [delivery] = await deliveriesOf(t.database, created.run.id);
    const view = new ViewLinks(TEST_UNSUBSCRIBE_SECRET, "").urlFor(delivery!.id);

    const copy = await t.app.inject({ method: "GET", url: view, headers: RU });
    expect(copy.statusCode).toBe(200);
    expect(copy.body).toContain("Здравствуйте, ivan@example.com!");
    const wrong = await t.app.inject({ method: "GET", url: `${view}x`, headers: RU });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toBe(
      "Эта ссылка недействительна, или письмо, к которому она относится, больше не существует.",
    );
    const english = await t.app.inject({ method: "GET", url: `${view}x` });
    expect(english.body).toBe("This link is not valid, or the email it belongs to no longer exists.");
  });
});
