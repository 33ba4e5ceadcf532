public import AppKernel
import Payments

/// The JSON the policies module speaks.
public enum PoliciesSchemas {
    static let bind = Schema.object(
        .required("quote_id", .uuid),
        .optional("payment_method_id", Schema.uuid.orNull, "hourly blocks only: pay by this card (else from the wallet)"))

    public static let policy = SchemaComponent("Policy", description: "Bound cover: a standing PAYG policy or an hourly block", .object(
        .required("id", .uuid),
        .required("number", .string(.init(pattern: "^HG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")), "for the driver and the police"),
        .required("status", .oneOf(PolicyStatus.self), "seen at the driver's now; PAYG shows paused while cover is paused for money"),
        .required("product", .oneOf(["payg", "hourly"])),
        .required("usage", .oneOf(["food_delivery", "parcel_delivery", "ride_hail"])),
        .required("driver_id", .uuid),
        .required("vehicle_id", .uuid),
        .required("quote_id", .uuid),
        .required("starts_at", .dateTime, "a block: when its cover starts (never before it was paid)"),
        .required("ends_at", Schema.dateTime.orNull, "null for PAYG"),
        .required("hourly_rate_amount", .amount),
        .required("total_amount", .amount),
        .required("currency", .currency),
        .required("funding", Schema.oneOf(["card", "wallet"]).orNull, "how a block was paid; null for PAYG"),
        .required("refund_amount", .amount, "what its cancellation refunds"),
        .required("refund", Schema.object(
            .required("amount", .amount), .required("destination", .oneOf(["card", "wallet"])),
            .required("state", .oneOf(["pending", "succeeded", "failed"]))).orNull),
        .required("created_at", .dateTime),
        .required("cancelled_at", Schema.dateTime.orNull),
        .required("paid_at", Schema.dateTime.orNull, "when a block's payment succeeded; null for PAYG and unpaid blocks"),
        .required("payment", PaymentsSchemas.payment.ref.orNull, "the card payment while it waits for SCA")))
}
