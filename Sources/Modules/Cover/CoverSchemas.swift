public import AppKernel

/// The JSON the cover module speaks.
public enum CoverSchemas {
    public static let session = SchemaComponent("Session", description: "A PAYG cover session", .object(
        .required("id", .uuid),
        .required("policy_id", .uuid, "the policy it opened under, for good"),
        .required("status", .oneOf(["active", "closed"])),
        .required("started_at", .dateTime),
        .required("ended_at", Schema.dateTime.orNull, "the end of the last shift; null while one runs"),
        .required("covered_until", .dateTime, "max(start + 60 min, last shift end), never past a cancellation"),
        .required("was_cut", .boolean, "stopped at 14 hours"),
        .required("billed_minutes", .integer(60...840)),
        .required("hourly_rate_amount", .amount),
        .required("charged_amount", .amount, "charged so far: the first hour from the moment it opened, all of it once closed"),
        .required("ipt_amount", .amount),
        .required("currency", .currency),
        .required("final", .boolean, "nothing can change it any more")))

    public static let answer = SchemaComponent("CoverAnswer", .object(
        .required("at", .dateTime),
        .required("covered", .boolean),
        .required("policy_id", Schema.uuid.orNull, "null when not covered"),
        .required("session_id", Schema.uuid.orNull, "the PAYG session; null for an hourly block or when not covered"),
        .required("covered_until", Schema.dateTime.orNull,
                  "until when cover is paid for as things stand (a running shift extends it); null when not covered")))
}
