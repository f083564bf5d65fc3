// PortOne's official server SDK (npm @portone/server-sdk, unmodified)
// against payresult's V2 sandbox. ../../v2sdk_test.go starts the sandbox,
// makes the payments named below and runs this script with:
//   PORTONE_BASE_URL   the sandbox, served at the root of its origin
//   PORTONE_SECRET     its V2 API secret
//   PORTONE_WEBHOOK_SECRET, WEBHOOKS_FILE  a JSON array of {headers, body}
//                      webhooks the sandbox sent
// It prints one line per check and exits non-zero on the first failure.
import { readFileSync } from "node:fs";
import { PaymentClient, Webhook } from "@portone/server-sdk";
import {
  GetPaymentError,
  CancelPaymentError,
  PreRegisterPaymentError,
  isUnrecognizedPayment,
} from "@portone/server-sdk/payment";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const client = PaymentClient({ secret: env("PORTONE_SECRET"), baseUrl: env("PORTONE_BASE_URL") });
const badClient = PaymentClient({ secret: "not-the-secret", baseUrl: env("PORTONE_BASE_URL") });

function check(ok, what, detail) {
  if (!ok) {
    console.error(`FAIL ${what}: ${JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

async function rejects(promise, ErrorClass, type, what) {
  try {
    const v = await promise;
    check(false, what, { resolved: v });
  } catch (e) {
    check(e instanceof ErrorClass && e.data && e.data.type === type, what, { name: e.name, data: e.data, message: e.message });
  }
}

// get
const paid = await client.getPayment({ paymentId: "sdk-paid" });
check(!isUnrecognizedPayment(paid) && paid.status === "PAID" && paid.amount.total === 20000 && paid.currency === "KRW",
  "getPayment: a PAID payment with its amount", paid);
check(paid.channel.type === "TEST" && paid.method.type === "PaymentMethodCard", "getPayment: channel and method", paid);
const vbank = await client.getPayment({ paymentId: "sdk-vbank" });
check(vbank.status === "VIRTUAL_ACCOUNT_ISSUED" && vbank.method.accountNumber.length > 0, "getPayment: a virtual account", vbank);
await rejects(client.getPayment({ paymentId: "sdk-no-such-payment" }), GetPaymentError, "PAYMENT_NOT_FOUND",
  "getPayment: an unknown payment throws GetPaymentError PAYMENT_NOT_FOUND");
await rejects(badClient.getPayment({ paymentId: "sdk-paid" }), GetPaymentError, "UNAUTHORIZED",
  "getPayment: a bad secret throws GetPaymentError UNAUTHORIZED");

// list
const list = await client.getPayments({ page: { number: 0, size: 10 }, filter: { status: ["PAID"] } });
check(list.items.length >= 1 && list.items.every((p) => p.status === "PAID") && list.page.totalCount === list.items.length,
  "getPayments: filtered by status", list.page);
const page = await client.getPayments({ page: { number: 1, size: 1 } });
check(page.items.length === 1 && page.page.number === 1 && page.page.size === 1 && page.page.totalCount >= 3,
  "getPayments: the second page of size 1", page.page);

// pre-register
const pre = await client.preRegisterPayment({ paymentId: "sdk-next", totalAmount: 7000, currency: "KRW" });
check(pre !== null && typeof pre === "object" && Object.keys(pre).length === 0, "preRegisterPayment: {}", pre);
await rejects(client.preRegisterPayment({ paymentId: "sdk-paid", totalAmount: 20000, currency: "KRW" }),
  PreRegisterPaymentError, "ALREADY_PAID", "preRegisterPayment: a paid payment throws ALREADY_PAID");

// cancel: partial, a stale currentCancellableAmount, the rest, again
const partial = await client.cancelPayment({ paymentId: "sdk-paid", amount: 5000, reason: "부분 환불",
  currentCancellableAmount: 20000 });
check(partial.cancellation.status === "SUCCEEDED" && partial.cancellation.totalAmount === 5000, "cancelPayment: partial", partial);
await rejects(client.cancelPayment({ paymentId: "sdk-paid", amount: 5000, reason: "stale", currentCancellableAmount: 20000 }),
  CancelPaymentError, "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
  "cancelPayment: a stale currentCancellableAmount throws CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN");
const rest = await client.cancelPayment({ paymentId: "sdk-paid", reason: "전액 환불", currentCancellableAmount: 15000 });
check(rest.cancellation.totalAmount === 15000, "cancelPayment: the rest", rest);
const after = await client.getPayment({ paymentId: "sdk-paid" });
check(after.status === "CANCELLED" && after.amount.cancelled === 20000 && after.cancellations.length === 2,
  "getPayment: CANCELLED after both cancels", after);
await rejects(client.cancelPayment({ paymentId: "sdk-paid", reason: "again" }), CancelPaymentError, "PAYMENT_ALREADY_CANCELLED",
  "cancelPayment: a cancelled payment throws PAYMENT_ALREADY_CANCELLED");
await rejects(client.cancelPayment({ paymentId: "sdk-no-such-payment", reason: "x" }), CancelPaymentError, "PAYMENT_NOT_FOUND",
  "cancelPayment: an unknown payment throws PAYMENT_NOT_FOUND");

// webhooks
const secret = env("PORTONE_WEBHOOK_SECRET");
const hooks = JSON.parse(readFileSync(env("WEBHOOKS_FILE"), "utf8"));
check(hooks.length >= 2, "webhooks: the sandbox sent some", hooks.length);
for (const h of hooks) {
  const w = await Webhook.verify(secret, h.body, h.headers);
  check(typeof w.type === "string" && w.data.storeId && w.data.paymentId, `Webhook.verify accepts ${w.type} of ${w.data.paymentId}`, w);
}
const tampered = hooks[0].body.replace(/"paymentId":"/, '"paymentId":"x');
try {
  await Webhook.verify(secret, tampered, hooks[0].headers);
  check(false, "Webhook.verify refuses a tampered body", tampered);
} catch (e) {
  check(e instanceof Webhook.WebhookVerificationError && e.reason === "NO_MATCHING_SIGNATURE",
    "Webhook.verify refuses a tampered body (NO_MATCHING_SIGNATURE)", { name: e.name, reason: e.reason });
}
console.log("all checks passed");
