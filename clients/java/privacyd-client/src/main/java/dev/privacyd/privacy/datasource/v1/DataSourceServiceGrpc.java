package dev.privacyd.privacy.datasource.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * DataSourceService is the plugin protocol: each team that holds personal data implements it,
 * in any language, and privacyd is the client. privacyd calls it to describe the data the
 * source holds, to export a subject's data, and to erase it.
 * The contract, which `privacyctl source check` verifies:
 * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
 *   source that returns another version.
 * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
 *   organisation knows it). A source that does not know the subject is not an error: `Export`
 *   streams nothing and ends OK; `Erase` returns OK with zero counts.
 * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
 *   case). A source MUST still compare addresses case-insensitively: it may hold
 *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
 *   again with the address as the subject typed it and with only its domain lower-cased, so a
 *   source that compares case-sensitively and still holds data under one of those forms fails
 *   verification rather than being certified; the conformance kit checks the comparison.
 * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
 *   default, per source). A source stops work when the deadline passes; it must not go on
 *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
 *   `call_timeout`: it may run as long as it keeps sending, up to the source's
 *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
 *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
 *   first message counts too). Connecting, until the source's first bytes, is bounded by
 *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
 *   privacyd treats its deadline as passed whichever side notices first, including a call the
 *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
 * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
 *   with the same id after a timeout, a crash or a restart, and the second call must not apply
 *   anything twice. It MUST return the same answer as the first call (counts, retentions):
 *   privacyd records the answer it receives, so after a crash the repeated call's answer is
 *   the one the operator, the subject and the receipt see. Keep a record per request id,
 *   written in the same transaction as the erasure. A repeated call must still leave nothing
 *   of the subject outside the retained groups: delete again whatever is there (after a
 *   correct first call, nothing), but do not repeat other effects (messages to third parties,
 *   ledger entries). This is what lets an operator process a request again after its
 *   verification failed and the source was fixed.
 * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
 *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
 *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
 *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
 *   export after an erasure) has no side effects, so it is retried after any failure except a
 *   stream that breaks this protocol. Either way the attempts are bounded per request.
 *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
 *   decoding), break the protocol: the source would send them again, so they are never
 *   retried.
 * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
 *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
 *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
 *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
 * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
 *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
 *   retentions must add up to `items_retained` without overflow; anything else is a protocol
 *   violation that fails the source for the request, without retry.
 * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
 *   the source can export), under each form of the address (see Case). A retained group may
 *   still hold its files and at most as many items as its retention reported (items counted
 *   by distinct `item_id`); anything else still exported (an item of another group, a file of
 *   no group, more items in a retained group than reported) fails the erasure for that
 *   source, and the operator and the audit log see the source, the groups and the counts.
 * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
 *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
 *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
 *   DataCategory with one of them breaks the protocol: the export fails for the source and is
 *   not retried (a DataCategory's source is refused at registration), so no source can forge
 *   privacyd's groups.
 * - Order. The archive keeps the order a source streams in: groups in the order their first
 *   item arrived, a group's items in the order their first message arrived, an item's fields
 *   in the order they were sent, message after message.
 * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
 *   retried); file chunks should be 64 KiB to 1 MiB.
 * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
 *   10 GiB per request, all sources together, counted on the encoded size of every message as
 *   it arrives. A source that streams past one fails for that request at once, with an error
 *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
 *   cancels the stream, removes what it had received, and does not retry.
 * - Health. A source serves grpc.health.v1 for the service name
 *   "privacy.datasource.v1.DataSourceService".
 * - Authentication. If the operator registered a token, every call carries
 *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class DataSourceServiceGrpc {

  private DataSourceServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "privacy.datasource.v1.DataSourceService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.DescribeRequest,
      dev.privacyd.privacy.datasource.v1.DescribeResponse> getDescribeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Describe",
      requestType = dev.privacyd.privacy.datasource.v1.DescribeRequest.class,
      responseType = dev.privacyd.privacy.datasource.v1.DescribeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.DescribeRequest,
      dev.privacyd.privacy.datasource.v1.DescribeResponse> getDescribeMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.DescribeRequest, dev.privacyd.privacy.datasource.v1.DescribeResponse> getDescribeMethod;
    if ((getDescribeMethod = DataSourceServiceGrpc.getDescribeMethod) == null) {
      synchronized (DataSourceServiceGrpc.class) {
        if ((getDescribeMethod = DataSourceServiceGrpc.getDescribeMethod) == null) {
          DataSourceServiceGrpc.getDescribeMethod = getDescribeMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.datasource.v1.DescribeRequest, dev.privacyd.privacy.datasource.v1.DescribeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Describe"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.DescribeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.DescribeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceServiceMethodDescriptorSupplier("Describe"))
              .build();
        }
      }
    }
    return getDescribeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.ExportRequest,
      dev.privacyd.privacy.datasource.v1.ExportResponse> getExportMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Export",
      requestType = dev.privacyd.privacy.datasource.v1.ExportRequest.class,
      responseType = dev.privacyd.privacy.datasource.v1.ExportResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.ExportRequest,
      dev.privacyd.privacy.datasource.v1.ExportResponse> getExportMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.ExportRequest, dev.privacyd.privacy.datasource.v1.ExportResponse> getExportMethod;
    if ((getExportMethod = DataSourceServiceGrpc.getExportMethod) == null) {
      synchronized (DataSourceServiceGrpc.class) {
        if ((getExportMethod = DataSourceServiceGrpc.getExportMethod) == null) {
          DataSourceServiceGrpc.getExportMethod = getExportMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.datasource.v1.ExportRequest, dev.privacyd.privacy.datasource.v1.ExportResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Export"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.ExportRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.ExportResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceServiceMethodDescriptorSupplier("Export"))
              .build();
        }
      }
    }
    return getExportMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.EraseRequest,
      dev.privacyd.privacy.datasource.v1.EraseResponse> getEraseMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Erase",
      requestType = dev.privacyd.privacy.datasource.v1.EraseRequest.class,
      responseType = dev.privacyd.privacy.datasource.v1.EraseResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.EraseRequest,
      dev.privacyd.privacy.datasource.v1.EraseResponse> getEraseMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.datasource.v1.EraseRequest, dev.privacyd.privacy.datasource.v1.EraseResponse> getEraseMethod;
    if ((getEraseMethod = DataSourceServiceGrpc.getEraseMethod) == null) {
      synchronized (DataSourceServiceGrpc.class) {
        if ((getEraseMethod = DataSourceServiceGrpc.getEraseMethod) == null) {
          DataSourceServiceGrpc.getEraseMethod = getEraseMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.datasource.v1.EraseRequest, dev.privacyd.privacy.datasource.v1.EraseResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Erase"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.EraseRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.datasource.v1.EraseResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceServiceMethodDescriptorSupplier("Erase"))
              .build();
        }
      }
    }
    return getEraseMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static DataSourceServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceStub>() {
        @java.lang.Override
        public DataSourceServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceServiceStub(channel, callOptions);
        }
      };
    return DataSourceServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static DataSourceServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceBlockingV2Stub>() {
        @java.lang.Override
        public DataSourceServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return DataSourceServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static DataSourceServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceBlockingStub>() {
        @java.lang.Override
        public DataSourceServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceServiceBlockingStub(channel, callOptions);
        }
      };
    return DataSourceServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static DataSourceServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceServiceFutureStub>() {
        @java.lang.Override
        public DataSourceServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceServiceFutureStub(channel, callOptions);
        }
      };
    return DataSourceServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Says who the source is, which operations it supports, and, for each category of personal
     * data it holds, what GDPR Art. 15(1) requires the subject to be told: purposes, legal
     * basis, recipients, retention period and where the data came from. privacyd shows this in
     * every export.
     * </pre>
     */
    default void describe(dev.privacyd.privacy.datasource.v1.DescribeRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.DescribeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDescribeMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams everything the source holds about the subject: items (a group, an id and
     * name/value fields, like WordPress's personal data exporters) and files in chunks. The
     * stream ends OK when everything has been sent. This source's items with the same group and
     * item id are merged by privacyd, so a source may send an item's fields in several
     * messages (appended in the order sent; a name may repeat); items of different sources are
     * never merged (the archive names each item `&lt;source name&gt;/&lt;item id&gt;`). Group ids "about"
     * and "privacyd-*" are reserved (see the contract above).
     * </pre>
     */
    default void export(dev.privacyd.privacy.datasource.v1.ExportRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.ExportResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getExportMethod(), responseObserver);
    }

    /**
     * <pre>
     * Erases the subject's personal data, apart from what the source must retain, and says
     * what it removed and what it kept and why. Idempotent per `privacy_request_id`.
     * </pre>
     */
    default void erase(dev.privacyd.privacy.datasource.v1.EraseRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.EraseResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getEraseMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service DataSourceService.
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public static abstract class DataSourceServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return DataSourceServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service DataSourceService.
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public static final class DataSourceServiceStub
      extends io.grpc.stub.AbstractAsyncStub<DataSourceServiceStub> {
    private DataSourceServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Says who the source is, which operations it supports, and, for each category of personal
     * data it holds, what GDPR Art. 15(1) requires the subject to be told: purposes, legal
     * basis, recipients, retention period and where the data came from. privacyd shows this in
     * every export.
     * </pre>
     */
    public void describe(dev.privacyd.privacy.datasource.v1.DescribeRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.DescribeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDescribeMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams everything the source holds about the subject: items (a group, an id and
     * name/value fields, like WordPress's personal data exporters) and files in chunks. The
     * stream ends OK when everything has been sent. This source's items with the same group and
     * item id are merged by privacyd, so a source may send an item's fields in several
     * messages (appended in the order sent; a name may repeat); items of different sources are
     * never merged (the archive names each item `&lt;source name&gt;/&lt;item id&gt;`). Group ids "about"
     * and "privacyd-*" are reserved (see the contract above).
     * </pre>
     */
    public void export(dev.privacyd.privacy.datasource.v1.ExportRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.ExportResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getExportMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Erases the subject's personal data, apart from what the source must retain, and says
     * what it removed and what it kept and why. Idempotent per `privacy_request_id`.
     * </pre>
     */
    public void erase(dev.privacyd.privacy.datasource.v1.EraseRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.EraseResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getEraseMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service DataSourceService.
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public static final class DataSourceServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<DataSourceServiceBlockingV2Stub> {
    private DataSourceServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Says who the source is, which operations it supports, and, for each category of personal
     * data it holds, what GDPR Art. 15(1) requires the subject to be told: purposes, legal
     * basis, recipients, retention period and where the data came from. privacyd shows this in
     * every export.
     * </pre>
     */
    public dev.privacyd.privacy.datasource.v1.DescribeResponse describe(dev.privacyd.privacy.datasource.v1.DescribeRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDescribeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams everything the source holds about the subject: items (a group, an id and
     * name/value fields, like WordPress's personal data exporters) and files in chunks. The
     * stream ends OK when everything has been sent. This source's items with the same group and
     * item id are merged by privacyd, so a source may send an item's fields in several
     * messages (appended in the order sent; a name may repeat); items of different sources are
     * never merged (the archive names each item `&lt;source name&gt;/&lt;item id&gt;`). Group ids "about"
     * and "privacyd-*" are reserved (see the contract above).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.privacyd.privacy.datasource.v1.ExportResponse>
        export(dev.privacyd.privacy.datasource.v1.ExportRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getExportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Erases the subject's personal data, apart from what the source must retain, and says
     * what it removed and what it kept and why. Idempotent per `privacy_request_id`.
     * </pre>
     */
    public dev.privacyd.privacy.datasource.v1.EraseResponse erase(dev.privacyd.privacy.datasource.v1.EraseRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getEraseMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service DataSourceService.
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public static final class DataSourceServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<DataSourceServiceBlockingStub> {
    private DataSourceServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Says who the source is, which operations it supports, and, for each category of personal
     * data it holds, what GDPR Art. 15(1) requires the subject to be told: purposes, legal
     * basis, recipients, retention period and where the data came from. privacyd shows this in
     * every export.
     * </pre>
     */
    public dev.privacyd.privacy.datasource.v1.DescribeResponse describe(dev.privacyd.privacy.datasource.v1.DescribeRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDescribeMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams everything the source holds about the subject: items (a group, an id and
     * name/value fields, like WordPress's personal data exporters) and files in chunks. The
     * stream ends OK when everything has been sent. This source's items with the same group and
     * item id are merged by privacyd, so a source may send an item's fields in several
     * messages (appended in the order sent; a name may repeat); items of different sources are
     * never merged (the archive names each item `&lt;source name&gt;/&lt;item id&gt;`). Group ids "about"
     * and "privacyd-*" are reserved (see the contract above).
     * </pre>
     */
    public java.util.Iterator<dev.privacyd.privacy.datasource.v1.ExportResponse> export(
        dev.privacyd.privacy.datasource.v1.ExportRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getExportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Erases the subject's personal data, apart from what the source must retain, and says
     * what it removed and what it kept and why. Idempotent per `privacy_request_id`.
     * </pre>
     */
    public dev.privacyd.privacy.datasource.v1.EraseResponse erase(dev.privacyd.privacy.datasource.v1.EraseRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getEraseMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service DataSourceService.
   * <pre>
   * DataSourceService is the plugin protocol: each team that holds personal data implements it,
   * in any language, and privacyd is the client. privacyd calls it to describe the data the
   * source holds, to export a subject's data, and to erase it.
   * The contract, which `privacyctl source check` verifies:
   * - Protocol version. `Describe` returns `protocol_version: 1`. privacyd refuses to register a
   *   source that returns another version.
   * - Subjects. A request names the subject by `email` (always set) and `user_id` (set when the
   *   organisation knows it). A source that does not know the subject is not an error: `Export`
   *   streams nothing and ends OK; `Erase` returns OK with zero counts.
   * - Case. `email` is sent in one canonical form: the whole address lower-cased (Unicode lower
   *   case). A source MUST still compare addresses case-insensitively: it may hold
   *   "Jane&#64;Example.com" as typed at sign-up. The verification export after an erasure asks
   *   again with the address as the subject typed it and with only its domain lower-cased, so a
   *   source that compares case-sensitively and still holds data under one of those forms fails
   *   verification rather than being certified; the conformance kit checks the comparison.
   * - Deadlines. privacyd sets a gRPC deadline on every unary call (`call_timeout`: 30 seconds by
   *   default, per source). A source stops work when the deadline passes; it must not go on
   *   erasing after privacyd has given up on the call. An `Export` stream is not bound by
   *   `call_timeout`: it may run as long as it keeps sending, up to the source's
   *   `stream_max_duration` (1 hour by default, sent as the stream's deadline), but fails when
   *   no message comes for `stream_idle_timeout` (by default the source's `call_timeout`; the
   *   first message counts too). Connecting, until the source's first bytes, is bounded by
   *   `connect_timeout` (5 seconds by default). A failure on any of these is retried.
   *   privacyd treats its deadline as passed whichever side notices first, including a call the
   *   source or the gRPC library ends CANCELLED ("Timeout expired") once the deadline passed.
   * - Idempotency. `Erase` MUST be idempotent per `privacy_request_id`: privacyd may call it again
   *   with the same id after a timeout, a crash or a restart, and the second call must not apply
   *   anything twice. It MUST return the same answer as the first call (counts, retentions):
   *   privacyd records the answer it receives, so after a crash the repeated call's answer is
   *   the one the operator, the subject and the receipt see. Keep a record per request id,
   *   written in the same transaction as the erasure. A repeated call must still leave nothing
   *   of the subject outside the retained groups: delete again whatever is there (after a
   *   correct first call, nothing), but do not repeat other effects (messages to third parties,
   *   ledger entries). This is what lets an operator process a request again after its
   *   verification failed and the source was fixed.
   * - Errors. privacyd retries `Erase`, with backoff, when it fails with UNAVAILABLE,
   *   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED. Any other code fails the source for that
   *   request at once, and the operator sees the code and message. Use FAILED_PRECONDITION or
   *   INTERNAL for errors that retrying will not fix. An `Export` (including the verification
   *   export after an erasure) has no side effects, so it is retried after any failure except a
   *   stream that breaks this protocol. Either way the attempts are bounded per request.
   *   OUT_OF_RANGE, and a message privacyd cannot read (over the size limit below, or not
   *   decoding), break the protocol: the source would send them again, so they are never
   *   retried.
   * - Retained data. Data the source must keep despite an erasure (invoices kept for tax law,
   *   say) is reported in `EraseResponse.retentions`, by group, with the reason and legal basis;
   *   a retention needs a `group_id` and a `reason`, and `items_retained` must equal the sum of
   *   `retentions[].items`, or privacyd rejects the answer as a protocol violation.
   * - Counts. Every count (`items_removed`, `items_retained`, `retentions[].items`) is between 0
   *   and 2^53 - 1 (9007199254740991, the largest integer JSON readers hold exactly), and the
   *   retentions must add up to `items_retained` without overflow; anything else is a protocol
   *   violation that fails the source for the request, without retry.
   * - Verification. After an erasure privacyd calls `Export` again for the same subject (when
   *   the source can export), under each form of the address (see Case). A retained group may
   *   still hold its files and at most as many items as its retention reported (items counted
   *   by distinct `item_id`); anything else still exported (an item of another group, a file of
   *   no group, more items in a retained group than reported) fails the erasure for that
   *   source, and the operator and the audit log see the source, the groups and the counts.
   * - Reserved groups. The group ids "about" and every id that starts with "privacyd-" (in any
   *   ASCII case) are privacyd's own groups of the archive's export.json (the report's About
   *   group, "privacyd-processing-information", "privacyd-files"). An item, a file or a
   *   DataCategory with one of them breaks the protocol: the export fails for the source and is
   *   not retried (a DataCategory's source is refused at registration), so no source can forge
   *   privacyd's groups.
   * - Order. The archive keeps the order a source streams in: groups in the order their first
   *   item arrived, a group's items in the order their first message arrived, an item's fields
   *   in the order they were sent, message after message.
   * - Sizes. A message may be at most 4 MiB (a larger one fails the source for that request, not
   *   retried); file chunks should be 64 KiB to 1 MiB.
   * - Quotas. An export must stay within the operator's quotas: by default 2 GiB per source and
   *   10 GiB per request, all sources together, counted on the encoded size of every message as
   *   it arrives. A source that streams past one fails for that request at once, with an error
   *   that starts with EXPORT_QUOTA_EXCEEDED and names the source and the quota; privacyd
   *   cancels the stream, removes what it had received, and does not retry.
   * - Health. A source serves grpc.health.v1 for the service name
   *   "privacy.datasource.v1.DataSourceService".
   * - Authentication. If the operator registered a token, every call carries
   *   `authorization: Bearer &lt;token&gt;`; a source that requires it answers UNAUTHENTICATED without.
   * </pre>
   */
  public static final class DataSourceServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<DataSourceServiceFutureStub> {
    private DataSourceServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Says who the source is, which operations it supports, and, for each category of personal
     * data it holds, what GDPR Art. 15(1) requires the subject to be told: purposes, legal
     * basis, recipients, retention period and where the data came from. privacyd shows this in
     * every export.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.datasource.v1.DescribeResponse> describe(
        dev.privacyd.privacy.datasource.v1.DescribeRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDescribeMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Erases the subject's personal data, apart from what the source must retain, and says
     * what it removed and what it kept and why. Idempotent per `privacy_request_id`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.datasource.v1.EraseResponse> erase(
        dev.privacyd.privacy.datasource.v1.EraseRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getEraseMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_DESCRIBE = 0;
  private static final int METHODID_EXPORT = 1;
  private static final int METHODID_ERASE = 2;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_DESCRIBE:
          serviceImpl.describe((dev.privacyd.privacy.datasource.v1.DescribeRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.DescribeResponse>) responseObserver);
          break;
        case METHODID_EXPORT:
          serviceImpl.export((dev.privacyd.privacy.datasource.v1.ExportRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.ExportResponse>) responseObserver);
          break;
        case METHODID_ERASE:
          serviceImpl.erase((dev.privacyd.privacy.datasource.v1.EraseRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.datasource.v1.EraseResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getDescribeMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.datasource.v1.DescribeRequest,
              dev.privacyd.privacy.datasource.v1.DescribeResponse>(
                service, METHODID_DESCRIBE)))
        .addMethod(
          getExportMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.privacyd.privacy.datasource.v1.ExportRequest,
              dev.privacyd.privacy.datasource.v1.ExportResponse>(
                service, METHODID_EXPORT)))
        .addMethod(
          getEraseMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.datasource.v1.EraseRequest,
              dev.privacyd.privacy.datasource.v1.EraseResponse>(
                service, METHODID_ERASE)))
        .build();
  }

  private static abstract class DataSourceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    DataSourceServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.privacyd.privacy.datasource.v1.DataSourceServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("DataSourceService");
    }
  }

  private static final class DataSourceServiceFileDescriptorSupplier
      extends DataSourceServiceBaseDescriptorSupplier {
    DataSourceServiceFileDescriptorSupplier() {}
  }

  private static final class DataSourceServiceMethodDescriptorSupplier
      extends DataSourceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    DataSourceServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (DataSourceServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new DataSourceServiceFileDescriptorSupplier())
              .addMethod(getDescribeMethod())
              .addMethod(getExportMethod())
              .addMethod(getEraseMethod())
              .build();
        }
      }
    }
    return result;
  }
}
