/** "Send now" as serve's web does it: the run row only, "Preparing… N of about M", then the engine fills it. */
import { describe, expect, it } from "vitest";
import { RunPreparation } from "../../src/delivery/preparation.store.js";
import { RunPreparer } from "../../src/delivery/preparer.js";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";
import { deliveriesOf } from "./support.js";

describe("Send now with the engine preparing runs", () => {
  it("redirects to the run page, which says Preparing… until the engine has inserted every delivery", async () => {
    const { app, database } = await build({ prepareRuns: "engine" });
    const admin = await setupAdmin(app);
    for (const email of ["ann@example.com", "bob@example.com", "cy@example.com"])
      await admin.post("/recipients/new", { email }, { from: "/recipients/new" });
    const message = idFromLocation(
      await admin.post("/messages/new", { subject: "Hi", body: "Body" }, { from: "/messages/new" }),
    );
    const mailing = idFromLocation(
      await admin.post(
        "/mailings/new",
        {
          name: "News",
          message_id: String(message),
          first_send_at: "2099-01-01T09:00",
          end_at: "2099-02-01T09:00",
          periodicity: "once",
          time_zone: "UTC",
          recipient_mode: "all",
        },
        { from: "/mailings/new" },
      ),
    );
    const sent = await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` });
    expect(sent.statusCode).toBe(303);
    const runId = idFromLocation(sent);
    expect(await deliveriesOf(database, runId)).toHaveLength(0);
    const preparing = await admin.get(`/runs/${runId}`);
    expect(preparing.statusCode).toBe(200);
    expect(preparing.body).toContain("Preparing… 0");
    // The flash does not claim "0 recipients": nothing is inserted yet.
    expect(preparing.body).toContain("Sending started: the recipients are being added.");
    // A second Send now meanwhile is refused: the mailing is busy.
    const again = await admin.post(`/mailings/${mailing}/send`, {}, { from: "/" });
    expect(again.headers.location).toBe(`/mailings/${mailing}`);
    expect(await database.db.selectFrom("runs").select("id").execute()).toHaveLength(1);

    // The engine: one chunk of two counts the audience and inserts two, then it finishes.
    const preparation = new RunPreparation(database, { chunkSize: 2 });
    expect(
      await preparation.prepare(
        runId,
        () => new Date(),
        () => true,
      ),
    ).toBe(false);
    const progress = JSON.parse((await admin.get(`/runs/${runId}/progress`)).body);
    expect(progress).toMatchObject({ outcome_label: "Preparing… 2 of about 3", pending: 2, done: false });
    expect(await new RunPreparer({ preparation, intervalMs: 60_000 }).tick()).toEqual([runId]);
    const ready = await admin.get(`/runs/${runId}`);
    expect(ready.body).not.toContain("Preparing…");
    expect(ready.body).toContain("Sending");
    expect(JSON.parse((await admin.get(`/runs/${runId}/progress`)).body)).toMatchObject({
      total: 3,
      pending: 3,
      done: false,
    });
  });
});
