package dev.privacyd.privacy.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
 * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
 * email, and tracks each one through its states and its legal deadline.
 * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
 * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
 * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
 * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
 * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
 * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
 * with domain "privacyd" and a stable `reason` that programs may switch on:
 * | reason              | code                | meaning                                            |
 * |---------------------|---------------------|----------------------------------------------------|
 * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
 * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
 * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
 * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
 * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
 * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
 * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
 * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
 * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
 * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
 * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
 * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
 * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
 * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
 * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
 * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
 * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
 * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
 * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
 * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
 * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class PrivacyRequestServiceGrpc {

  private PrivacyRequestServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "privacy.v1.PrivacyRequestService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CreatePrivacyRequestRequest,
      dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> getCreatePrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreatePrivacyRequest",
      requestType = dev.privacyd.privacy.v1.CreatePrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.CreatePrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CreatePrivacyRequestRequest,
      dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> getCreatePrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CreatePrivacyRequestRequest, dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> getCreatePrivacyRequestMethod;
    if ((getCreatePrivacyRequestMethod = PrivacyRequestServiceGrpc.getCreatePrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getCreatePrivacyRequestMethod = PrivacyRequestServiceGrpc.getCreatePrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getCreatePrivacyRequestMethod = getCreatePrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.CreatePrivacyRequestRequest, dev.privacyd.privacy.v1.CreatePrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreatePrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CreatePrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CreatePrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("CreatePrivacyRequest"))
              .build();
        }
      }
    }
    return getCreatePrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetPrivacyRequestRequest,
      dev.privacyd.privacy.v1.GetPrivacyRequestResponse> getGetPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.GetPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.GetPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetPrivacyRequestRequest,
      dev.privacyd.privacy.v1.GetPrivacyRequestResponse> getGetPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetPrivacyRequestRequest, dev.privacyd.privacy.v1.GetPrivacyRequestResponse> getGetPrivacyRequestMethod;
    if ((getGetPrivacyRequestMethod = PrivacyRequestServiceGrpc.getGetPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getGetPrivacyRequestMethod = PrivacyRequestServiceGrpc.getGetPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getGetPrivacyRequestMethod = getGetPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.GetPrivacyRequestRequest, dev.privacyd.privacy.v1.GetPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("GetPrivacyRequest"))
              .build();
        }
      }
    }
    return getGetPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> getListPrivacyRequestsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListPrivacyRequests",
      requestType = dev.privacyd.privacy.v1.ListPrivacyRequestsRequest.class,
      responseType = dev.privacyd.privacy.v1.ListPrivacyRequestsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> getListPrivacyRequestsMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListPrivacyRequestsRequest, dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> getListPrivacyRequestsMethod;
    if ((getListPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getListPrivacyRequestsMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getListPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getListPrivacyRequestsMethod) == null) {
          PrivacyRequestServiceGrpc.getListPrivacyRequestsMethod = getListPrivacyRequestsMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ListPrivacyRequestsRequest, dev.privacyd.privacy.v1.ListPrivacyRequestsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListPrivacyRequests"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListPrivacyRequestsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListPrivacyRequestsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ListPrivacyRequests"))
              .build();
        }
      }
    }
    return getListPrivacyRequestsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CountPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> getCountPrivacyRequestsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CountPrivacyRequests",
      requestType = dev.privacyd.privacy.v1.CountPrivacyRequestsRequest.class,
      responseType = dev.privacyd.privacy.v1.CountPrivacyRequestsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CountPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> getCountPrivacyRequestsMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CountPrivacyRequestsRequest, dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> getCountPrivacyRequestsMethod;
    if ((getCountPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getCountPrivacyRequestsMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getCountPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getCountPrivacyRequestsMethod) == null) {
          PrivacyRequestServiceGrpc.getCountPrivacyRequestsMethod = getCountPrivacyRequestsMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.CountPrivacyRequestsRequest, dev.privacyd.privacy.v1.CountPrivacyRequestsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CountPrivacyRequests"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CountPrivacyRequestsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CountPrivacyRequestsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("CountPrivacyRequests"))
              .build();
        }
      }
    }
    return getCountPrivacyRequestsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> getBatchModifyPrivacyRequestsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "BatchModifyPrivacyRequests",
      requestType = dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest.class,
      responseType = dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest,
      dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> getBatchModifyPrivacyRequestsMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest, dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> getBatchModifyPrivacyRequestsMethod;
    if ((getBatchModifyPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getBatchModifyPrivacyRequestsMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getBatchModifyPrivacyRequestsMethod = PrivacyRequestServiceGrpc.getBatchModifyPrivacyRequestsMethod) == null) {
          PrivacyRequestServiceGrpc.getBatchModifyPrivacyRequestsMethod = getBatchModifyPrivacyRequestsMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest, dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "BatchModifyPrivacyRequests"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("BatchModifyPrivacyRequests"))
              .build();
        }
      }
    }
    return getBatchModifyPrivacyRequestsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetRequestStatisticsRequest,
      dev.privacyd.privacy.v1.GetRequestStatisticsResponse> getGetRequestStatisticsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetRequestStatistics",
      requestType = dev.privacyd.privacy.v1.GetRequestStatisticsRequest.class,
      responseType = dev.privacyd.privacy.v1.GetRequestStatisticsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetRequestStatisticsRequest,
      dev.privacyd.privacy.v1.GetRequestStatisticsResponse> getGetRequestStatisticsMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetRequestStatisticsRequest, dev.privacyd.privacy.v1.GetRequestStatisticsResponse> getGetRequestStatisticsMethod;
    if ((getGetRequestStatisticsMethod = PrivacyRequestServiceGrpc.getGetRequestStatisticsMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getGetRequestStatisticsMethod = PrivacyRequestServiceGrpc.getGetRequestStatisticsMethod) == null) {
          PrivacyRequestServiceGrpc.getGetRequestStatisticsMethod = getGetRequestStatisticsMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.GetRequestStatisticsRequest, dev.privacyd.privacy.v1.GetRequestStatisticsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetRequestStatistics"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetRequestStatisticsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetRequestStatisticsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("GetRequestStatistics"))
              .build();
        }
      }
    }
    return getGetRequestStatisticsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest,
      dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> getConfirmPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ConfirmPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest,
      dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> getConfirmPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest, dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> getConfirmPrivacyRequestMethod;
    if ((getConfirmPrivacyRequestMethod = PrivacyRequestServiceGrpc.getConfirmPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getConfirmPrivacyRequestMethod = PrivacyRequestServiceGrpc.getConfirmPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getConfirmPrivacyRequestMethod = getConfirmPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest, dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ConfirmPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ConfirmPrivacyRequest"))
              .build();
        }
      }
    }
    return getConfirmPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ResendConfirmationRequest,
      dev.privacyd.privacy.v1.ResendConfirmationResponse> getResendConfirmationMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResendConfirmation",
      requestType = dev.privacyd.privacy.v1.ResendConfirmationRequest.class,
      responseType = dev.privacyd.privacy.v1.ResendConfirmationResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ResendConfirmationRequest,
      dev.privacyd.privacy.v1.ResendConfirmationResponse> getResendConfirmationMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ResendConfirmationRequest, dev.privacyd.privacy.v1.ResendConfirmationResponse> getResendConfirmationMethod;
    if ((getResendConfirmationMethod = PrivacyRequestServiceGrpc.getResendConfirmationMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getResendConfirmationMethod = PrivacyRequestServiceGrpc.getResendConfirmationMethod) == null) {
          PrivacyRequestServiceGrpc.getResendConfirmationMethod = getResendConfirmationMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ResendConfirmationRequest, dev.privacyd.privacy.v1.ResendConfirmationResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResendConfirmation"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ResendConfirmationRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ResendConfirmationResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ResendConfirmation"))
              .build();
        }
      }
    }
    return getResendConfirmationMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest,
      dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> getProcessPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ProcessPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest,
      dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> getProcessPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest, dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> getProcessPrivacyRequestMethod;
    if ((getProcessPrivacyRequestMethod = PrivacyRequestServiceGrpc.getProcessPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getProcessPrivacyRequestMethod = PrivacyRequestServiceGrpc.getProcessPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getProcessPrivacyRequestMethod = getProcessPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest, dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ProcessPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ProcessPrivacyRequest"))
              .build();
        }
      }
    }
    return getProcessPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CompletePrivacyRequestRequest,
      dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> getCompletePrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CompletePrivacyRequest",
      requestType = dev.privacyd.privacy.v1.CompletePrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.CompletePrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CompletePrivacyRequestRequest,
      dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> getCompletePrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CompletePrivacyRequestRequest, dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> getCompletePrivacyRequestMethod;
    if ((getCompletePrivacyRequestMethod = PrivacyRequestServiceGrpc.getCompletePrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getCompletePrivacyRequestMethod = PrivacyRequestServiceGrpc.getCompletePrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getCompletePrivacyRequestMethod = getCompletePrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.CompletePrivacyRequestRequest, dev.privacyd.privacy.v1.CompletePrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CompletePrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CompletePrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CompletePrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("CompletePrivacyRequest"))
              .build();
        }
      }
    }
    return getCompletePrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DenyPrivacyRequestRequest,
      dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> getDenyPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DenyPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.DenyPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.DenyPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DenyPrivacyRequestRequest,
      dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> getDenyPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DenyPrivacyRequestRequest, dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> getDenyPrivacyRequestMethod;
    if ((getDenyPrivacyRequestMethod = PrivacyRequestServiceGrpc.getDenyPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getDenyPrivacyRequestMethod = PrivacyRequestServiceGrpc.getDenyPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getDenyPrivacyRequestMethod = getDenyPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.DenyPrivacyRequestRequest, dev.privacyd.privacy.v1.DenyPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DenyPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DenyPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DenyPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("DenyPrivacyRequest"))
              .build();
        }
      }
    }
    return getDenyPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CancelPrivacyRequestRequest,
      dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> getCancelPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CancelPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.CancelPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.CancelPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CancelPrivacyRequestRequest,
      dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> getCancelPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CancelPrivacyRequestRequest, dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> getCancelPrivacyRequestMethod;
    if ((getCancelPrivacyRequestMethod = PrivacyRequestServiceGrpc.getCancelPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getCancelPrivacyRequestMethod = PrivacyRequestServiceGrpc.getCancelPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getCancelPrivacyRequestMethod = getCancelPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.CancelPrivacyRequestRequest, dev.privacyd.privacy.v1.CancelPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CancelPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CancelPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CancelPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("CancelPrivacyRequest"))
              .build();
        }
      }
    }
    return getCancelPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeletePrivacyRequestRequest,
      dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> getDeletePrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeletePrivacyRequest",
      requestType = dev.privacyd.privacy.v1.DeletePrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.DeletePrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeletePrivacyRequestRequest,
      dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> getDeletePrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeletePrivacyRequestRequest, dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> getDeletePrivacyRequestMethod;
    if ((getDeletePrivacyRequestMethod = PrivacyRequestServiceGrpc.getDeletePrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getDeletePrivacyRequestMethod = PrivacyRequestServiceGrpc.getDeletePrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getDeletePrivacyRequestMethod = getDeletePrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.DeletePrivacyRequestRequest, dev.privacyd.privacy.v1.DeletePrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeletePrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DeletePrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DeletePrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("DeletePrivacyRequest"))
              .build();
        }
      }
    }
    return getDeletePrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ExtendDeadlineRequest,
      dev.privacyd.privacy.v1.ExtendDeadlineResponse> getExtendDeadlineMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ExtendDeadline",
      requestType = dev.privacyd.privacy.v1.ExtendDeadlineRequest.class,
      responseType = dev.privacyd.privacy.v1.ExtendDeadlineResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ExtendDeadlineRequest,
      dev.privacyd.privacy.v1.ExtendDeadlineResponse> getExtendDeadlineMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ExtendDeadlineRequest, dev.privacyd.privacy.v1.ExtendDeadlineResponse> getExtendDeadlineMethod;
    if ((getExtendDeadlineMethod = PrivacyRequestServiceGrpc.getExtendDeadlineMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getExtendDeadlineMethod = PrivacyRequestServiceGrpc.getExtendDeadlineMethod) == null) {
          PrivacyRequestServiceGrpc.getExtendDeadlineMethod = getExtendDeadlineMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ExtendDeadlineRequest, dev.privacyd.privacy.v1.ExtendDeadlineResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ExtendDeadline"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ExtendDeadlineRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ExtendDeadlineResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ExtendDeadline"))
              .build();
        }
      }
    }
    return getExtendDeadlineMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListAuditEventsRequest,
      dev.privacyd.privacy.v1.ListAuditEventsResponse> getListAuditEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAuditEvents",
      requestType = dev.privacyd.privacy.v1.ListAuditEventsRequest.class,
      responseType = dev.privacyd.privacy.v1.ListAuditEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListAuditEventsRequest,
      dev.privacyd.privacy.v1.ListAuditEventsResponse> getListAuditEventsMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListAuditEventsRequest, dev.privacyd.privacy.v1.ListAuditEventsResponse> getListAuditEventsMethod;
    if ((getListAuditEventsMethod = PrivacyRequestServiceGrpc.getListAuditEventsMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getListAuditEventsMethod = PrivacyRequestServiceGrpc.getListAuditEventsMethod) == null) {
          PrivacyRequestServiceGrpc.getListAuditEventsMethod = getListAuditEventsMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ListAuditEventsRequest, dev.privacyd.privacy.v1.ListAuditEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAuditEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListAuditEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListAuditEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("ListAuditEvents"))
              .build();
        }
      }
    }
    return getListAuditEventsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.WatchPrivacyRequestRequest,
      dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> getWatchPrivacyRequestMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchPrivacyRequest",
      requestType = dev.privacyd.privacy.v1.WatchPrivacyRequestRequest.class,
      responseType = dev.privacyd.privacy.v1.WatchPrivacyRequestResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.WatchPrivacyRequestRequest,
      dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> getWatchPrivacyRequestMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.WatchPrivacyRequestRequest, dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> getWatchPrivacyRequestMethod;
    if ((getWatchPrivacyRequestMethod = PrivacyRequestServiceGrpc.getWatchPrivacyRequestMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getWatchPrivacyRequestMethod = PrivacyRequestServiceGrpc.getWatchPrivacyRequestMethod) == null) {
          PrivacyRequestServiceGrpc.getWatchPrivacyRequestMethod = getWatchPrivacyRequestMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.WatchPrivacyRequestRequest, dev.privacyd.privacy.v1.WatchPrivacyRequestResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchPrivacyRequest"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.WatchPrivacyRequestRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.WatchPrivacyRequestResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("WatchPrivacyRequest"))
              .build();
        }
      }
    }
    return getWatchPrivacyRequestMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DownloadExportRequest,
      dev.privacyd.privacy.v1.DownloadExportResponse> getDownloadExportMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DownloadExport",
      requestType = dev.privacyd.privacy.v1.DownloadExportRequest.class,
      responseType = dev.privacyd.privacy.v1.DownloadExportResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DownloadExportRequest,
      dev.privacyd.privacy.v1.DownloadExportResponse> getDownloadExportMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DownloadExportRequest, dev.privacyd.privacy.v1.DownloadExportResponse> getDownloadExportMethod;
    if ((getDownloadExportMethod = PrivacyRequestServiceGrpc.getDownloadExportMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getDownloadExportMethod = PrivacyRequestServiceGrpc.getDownloadExportMethod) == null) {
          PrivacyRequestServiceGrpc.getDownloadExportMethod = getDownloadExportMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.DownloadExportRequest, dev.privacyd.privacy.v1.DownloadExportResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DownloadExport"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DownloadExportRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DownloadExportResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("DownloadExport"))
              .build();
        }
      }
    }
    return getDownloadExportMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetErasureReceiptRequest,
      dev.privacyd.privacy.v1.GetErasureReceiptResponse> getGetErasureReceiptMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetErasureReceipt",
      requestType = dev.privacyd.privacy.v1.GetErasureReceiptRequest.class,
      responseType = dev.privacyd.privacy.v1.GetErasureReceiptResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetErasureReceiptRequest,
      dev.privacyd.privacy.v1.GetErasureReceiptResponse> getGetErasureReceiptMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetErasureReceiptRequest, dev.privacyd.privacy.v1.GetErasureReceiptResponse> getGetErasureReceiptMethod;
    if ((getGetErasureReceiptMethod = PrivacyRequestServiceGrpc.getGetErasureReceiptMethod) == null) {
      synchronized (PrivacyRequestServiceGrpc.class) {
        if ((getGetErasureReceiptMethod = PrivacyRequestServiceGrpc.getGetErasureReceiptMethod) == null) {
          PrivacyRequestServiceGrpc.getGetErasureReceiptMethod = getGetErasureReceiptMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.GetErasureReceiptRequest, dev.privacyd.privacy.v1.GetErasureReceiptResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetErasureReceipt"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetErasureReceiptRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetErasureReceiptResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PrivacyRequestServiceMethodDescriptorSupplier("GetErasureReceipt"))
              .build();
        }
      }
    }
    return getGetErasureReceiptMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static PrivacyRequestServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceStub>() {
        @java.lang.Override
        public PrivacyRequestServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PrivacyRequestServiceStub(channel, callOptions);
        }
      };
    return PrivacyRequestServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static PrivacyRequestServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceBlockingV2Stub>() {
        @java.lang.Override
        public PrivacyRequestServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PrivacyRequestServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return PrivacyRequestServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static PrivacyRequestServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceBlockingStub>() {
        @java.lang.Override
        public PrivacyRequestServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PrivacyRequestServiceBlockingStub(channel, callOptions);
        }
      };
    return PrivacyRequestServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static PrivacyRequestServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PrivacyRequestServiceFutureStub>() {
        @java.lang.Override
        public PrivacyRequestServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PrivacyRequestServiceFutureStub(channel, callOptions);
        }
      };
    return PrivacyRequestServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Creates a request to export or erase a subject's personal data.
     * With `send_confirmation` the request starts PENDING and the subject is emailed a link to
     * confirm it (the organisation must verify who is asking before it hands out or destroys
     * data). Without it the request starts CONFIRMED: an operator acting on an identity they
     * have already verified.
     * A second unfinished request (PENDING, CONFIRMED, PROCESSING or FAILED) for the same
     * email address and action fails with DUPLICATE_REQUEST and names the existing one.
     * Sending the same `request_id` again returns the request the first call created and
     * sends no second email.
     * </pre>
     */
    default void createPrivacyRequest(dev.privacyd.privacy.v1.CreatePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreatePrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one request with its state, deadline and email deliveries.
     * </pre>
     */
    default void getPrivacyRequest(dev.privacyd.privacy.v1.GetPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists requests, newest first or by deadline (`order_by`), optionally filtered by action,
     * state, subject email (exact, or a case-insensitive search), creation time and deadline.
     * Pages are keyset-based, so a page never skips or repeats a request when others are
     * created meanwhile. Each page is read along an index in the order asked for (migration
     * 0018 adds the one by due time), so no page sorts the whole table.
     * </pre>
     */
    default void listPrivacyRequests(dev.privacyd.privacy.v1.ListPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListPrivacyRequestsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Counts the requests in each state that match the same filters as ListPrivacyRequests
     * (without `state`): what a console shows in its tabs, "All (n) | Pending (n) | ...". Needs
     * the `read` scope. With no filter but `action`, the counts are sums of tallies kept per
     * action and state as requests are created, change state and are deleted (migration 0021):
     * the same few rows however many requests are stored. Any other filter is counted from an
     * index that holds every filtered column (migration 0018), never from the rows themselves,
     * so its cost grows with the requests it matches.
     *   grpcurl -H "authorization: Bearer $TOKEN" -d '{"action": "ACTION_ERASE"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/CountPrivacyRequests
     * </pre>
     */
    default void countPrivacyRequests(dev.privacyd.privacy.v1.CountPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCountPrivacyRequestsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Applies one operation (resend the confirmation, process, complete, cancel, delete or
     * deny) to up to 100 requests, as AIP-235 batch methods do, and answers for each id with
     * the result the single method would give (ResendConfirmation, ProcessPrivacyRequest,
     * CompletePrivacyRequest, CancelPrivacyRequest, DeletePrivacyRequest,
     * DenyPrivacyRequest): it runs exactly those, one request after the other.
     * NOT atomic, deliberately: each request has its own state and its own legal deadline, and
     * a console selecting twenty rows must not have nineteen legitimate answers held back
     * because one row was finished meanwhile by a colleague. Each result says what happened
     * to its request; the call itself fails only when the batch as a whole is malformed (no
     * ids, more than 100, an id twice, no operation, DENY without a reason). Needs the
     * `requests` scope, as each single method does.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"ids": ["&lt;id1&gt;", "&lt;id2&gt;"], "operation": "BATCH_OPERATION_DENY", "reason": "duplicate"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/BatchModifyPrivacyRequests
     * </pre>
     */
    default void batchModifyPrivacyRequests(dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getBatchModifyPrivacyRequestsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Per action, for a period (the current calendar year in UTC by default): how many
     * requests were received, how they ended, and the mean and median days to answer them.
     * These are the figures California's CCPA regulations, 11 CCR § 7102(a), require a
     * business that handles the personal information of 10 million or more consumers a year to
     * publish for each calendar year: requests to know and to delete received, complied with
     * in whole or in part, and denied, and the median or mean number of days within which it
     * substantively responded. Needs the `read` scope. Counted in the database; the median is
     * read with one ordered query per action, so privacyd's memory does not grow with the
     * number of requests. Deleted requests (DeletePrivacyRequest) are no longer counted: delete
     * requests only after the year's figures are published.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/GetRequestStatistics
     * </pre>
     */
    default void getRequestStatistics(dev.privacyd.privacy.v1.GetRequestStatisticsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetRequestStatisticsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetRequestStatisticsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Confirms a PENDING request with the token from the confirmation email. Public: the token
     * is the credential. A token is single-use and expires (24 hours by default). The link in
     * the email does the same in two steps: a GET of it only shows the request and a button,
     * and the button's POST confirms (a GET or HEAD, as mail scanners send, changes nothing).
     * An unknown id and a wrong token are both INVALID_TOKEN, with the same message. Calls
     * without an admin token are rate-limited per client address (60 a minute, 30 at once, by
     * default): past it RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo
     * and metadata `retry_after_seconds`. The request message may be at most 8 KiB.
     * </pre>
     */
    default void confirmPrivacyRequest(dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getConfirmPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Emails the subject a new confirmation link for a PENDING request. The new token replaces
     * the old one, which stops working, and the expiry starts again.
     * </pre>
     */
    default void resendConfirmation(dev.privacyd.privacy.v1.ResendConfirmationRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ResendConfirmationResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResendConfirmationMethod(), responseObserver);
    }

    /**
     * <pre>
     * Starts work on a CONFIRMED request, or again on a FAILED one: CONFIRMED or FAILED -&gt;
     * PROCESSING. privacyd then runs the action on every enabled data source capable of it,
     * concurrently, each call with the source's deadline, retried with backoff when it fails
     * with UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED (exports retry any
     * failed stream, having no side effects); `sources` shows the progress. If a source keeps
     * failing the request ends FAILED naming it and the cause. Processing a FAILED erasure again
     * re-runs only the sources that did not succeed; processing a FAILED export again exports
     * every one of its sources afresh, since what they spooled is deleted when it fails (a
     * failed attempt's partial spool at once): nothing of the subject's data waits on disk for
     * a retry that may never come.
     * An export calls `Export` on each source, builds the archive, emails the subject a
     * download link and completes.
     * An erasure calls `Erase` on each source with the request id as the idempotency key, then
     * (unless privacyd runs with `--verify-erasure=false`) calls `Export` for the same subject
     * to verify that only the groups the source reported as retained remain. A source that
     * still holds anything else fails verification: the request ends FAILED naming the source,
     * the groups and the counts, and an ERASURE_VERIFICATION_FAILED audit event records it.
     * When every source succeeded the request completes, `erasure` says which of the four
     * outcomes it was, the subject is emailed what was erased and what was kept and why, and
     * GetErasureReceipt returns the receipt.
     * Every registered source is listed in `sources`; one that is disabled or cannot do the
     * action is SOURCE_STATE_SKIPPED with its `skip_reason`, and an erasure that skipped one is
     * not `verified`. When no source would run, processing is refused with NO_CAPABLE_SOURCE and
     * the request stays as it was: a request no system processed must not complete as "nothing
     * found". Processing that starts on its own (`--auto-process` after confirmation, or the end
     * of a cooling-off period) cannot be refused to anyone, so the request goes to FAILED
     * instead, its `state_reason` saying why; process it again once a capable source is enabled.
     * With a cooling-off period (`--erase-delay`), processing a CONFIRMED erasure before
     * `confirm_time` plus the delay only schedules it: the request stays CONFIRMED with
     * `scheduled_process_time` set, and can still be cancelled (by an operator, or by the
     * subject from the confirmation page) until then. Processing it again meanwhile changes
     * nothing.
     * </pre>
     */
    default void processPrivacyRequest(dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getProcessPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Marks a PROCESSING request as fulfilled: PROCESSING -&gt; COMPLETED. For requests an
     * operator handled by hand.
     * </pre>
     */
    default void completePrivacyRequest(dev.privacyd.privacy.v1.CompletePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCompletePrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Refuses a request that is not yet finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; DENIED. GDPR Art. 12(4) requires telling the subject why, so a reason is required;
     * privacyd emails it to the subject (EMAIL_KIND_REQUEST_DENIED). A request in PROCESSING
     * has its running work stopped, as CancelPrivacyRequest describes.
     * </pre>
     */
    default void denyPrivacyRequest(dev.privacyd.privacy.v1.DenyPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDenyPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Withdraws a request that is not finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; CANCELLED. This includes an erasure waiting out its cooling-off period.
     * Cancelling a request in PROCESSING stops its work, on whichever replica it runs: the
     * request's jobs are marked cancelled in the database in the same transaction, and each
     * replica checks its running jobs against it about once a second (its job poll interval)
     * and abandons a cancelled one, cutting its call to the data source. Nothing cut off is
     * reported as done: each source that had not ended becomes SOURCE_STATE_CANCELLED, with an
     * AUDIT_EVENT_TYPE_SOURCE_CANCELLED event saying how far it got (stopped before it ran, cut
     * off during its call so that what the source applied is unknown, or, for an erasure whose
     * `Erase` had answered, applied with its verification stopped: that source keeps its
     * `erasure`). Sources that had succeeded stay SUCCEEDED. No export link and no "erasure
     * fulfilled" email goes out for a cancelled request; its spooled source data is deleted
     * once its jobs have stopped. There is no erasure receipt: the erasure did not complete.
     * Data a source has already erased stays erased: cancelling undoes nothing.
     * </pre>
     */
    default void cancelPrivacyRequest(dev.privacyd.privacy.v1.CancelPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCancelPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a finished request (COMPLETED, FAILED, DENIED, CANCELLED or EXPIRED) and the
     * personal data it holds. Its audit events and its erasure receipt stay: they hold no
     * personal data (the receipt names the subject only by a keyed hash).
     * </pre>
     */
    default void deletePrivacyRequest(dev.privacyd.privacy.v1.DeletePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeletePrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Extends the response deadline of an unfinished request, as GDPR Art. 12(3) allows "by two
     * further months where necessary, taking into account the complexity and number of the
     * requests". The subject is told by email, with the reason.
     * </pre>
     */
    default void extendDeadline(dev.privacyd.privacy.v1.ExtendDeadlineRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ExtendDeadlineResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getExtendDeadlineMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the append-only audit log, oldest first: every state change and every email, with
     * who did it and why; or, with `subject` AUDIT_SUBJECT_DATA_SOURCE, every change to the
     * data source registry. Needs the `read` scope.
     * </pre>
     */
    default void listAuditEvents(dev.privacyd.privacy.v1.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAuditEventsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams a request's history and then its changes as they happen. The first message is the
     * request as it is now (with `replayed_until_sequence`); then one message per audit event
     * that happened before the watch began, oldest first, read from the audit log (each with
     * `replayed` set), so a watch that starts late still shows what happened; then one message
     * per new audit event, and a message without an event whenever the request changes
     * otherwise (the live progress of its data sources, at most about once a second per
     * source). The stream ends after the event that makes the request final (COMPLETED, DENIED,
     * CANCELLED, EXPIRED), or when the client cancels it: a watch on a request that is already
     * final sends its history up to that event and ends. An admin token may
     * hold at most 100 watches at once on a privacyd replica, and a replica at most 1000 in all
     * (the operator may change both); another is refused with RESOURCE_EXHAUSTED, reason
     * TOO_MANY_WATCHES, metadata `scope` (TOKEN or REPLICA) and `limit`.
     * </pre>
     */
    default void watchPrivacyRequest(dev.privacyd.privacy.v1.WatchPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchPrivacyRequestMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams the archive of a completed export: first a header, then the bytes in chunks of
     * 64 KiB to 1 MiB. Public: the download token from the "export ready" email is the
     * credential; an admin token with the `download` scope works too. Resumable from any
     * offset. With a download token it is rate-limited per client address as
     * ConfirmPrivacyRequest is (RESOURCE_EXHAUSTED, reason RATE_LIMITED).
     * </pre>
     */
    default void downloadExport(dev.privacyd.privacy.v1.DownloadExportRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DownloadExportResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDownloadExportMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns the receipt of a completed erasure: a JSON document for the compliance file that
     * proves what was erased, what was kept and why. It is written once, when the erasure
     * completes, and kept even after the request is deleted. Each call also checks the audit
     * log against the digest chain in the receipt, so an audit event changed since is detected.
     * The receipt is signed with privacyd's Ed25519 receipt key; the public keys are published
     * without a token at GET /.well-known/privacyd/receipt-keys (on the same port) so an
     * auditor can pin them and verify receipts with any Ed25519 library.
     * </pre>
     */
    default void getErasureReceipt(dev.privacyd.privacy.v1.GetErasureReceiptRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetErasureReceiptResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetErasureReceiptMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service PrivacyRequestService.
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public static abstract class PrivacyRequestServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return PrivacyRequestServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service PrivacyRequestService.
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public static final class PrivacyRequestServiceStub
      extends io.grpc.stub.AbstractAsyncStub<PrivacyRequestServiceStub> {
    private PrivacyRequestServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PrivacyRequestServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PrivacyRequestServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a request to export or erase a subject's personal data.
     * With `send_confirmation` the request starts PENDING and the subject is emailed a link to
     * confirm it (the organisation must verify who is asking before it hands out or destroys
     * data). Without it the request starts CONFIRMED: an operator acting on an identity they
     * have already verified.
     * A second unfinished request (PENDING, CONFIRMED, PROCESSING or FAILED) for the same
     * email address and action fails with DUPLICATE_REQUEST and names the existing one.
     * Sending the same `request_id` again returns the request the first call created and
     * sends no second email.
     * </pre>
     */
    public void createPrivacyRequest(dev.privacyd.privacy.v1.CreatePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreatePrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one request with its state, deadline and email deliveries.
     * </pre>
     */
    public void getPrivacyRequest(dev.privacyd.privacy.v1.GetPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists requests, newest first or by deadline (`order_by`), optionally filtered by action,
     * state, subject email (exact, or a case-insensitive search), creation time and deadline.
     * Pages are keyset-based, so a page never skips or repeats a request when others are
     * created meanwhile. Each page is read along an index in the order asked for (migration
     * 0018 adds the one by due time), so no page sorts the whole table.
     * </pre>
     */
    public void listPrivacyRequests(dev.privacyd.privacy.v1.ListPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListPrivacyRequestsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Counts the requests in each state that match the same filters as ListPrivacyRequests
     * (without `state`): what a console shows in its tabs, "All (n) | Pending (n) | ...". Needs
     * the `read` scope. With no filter but `action`, the counts are sums of tallies kept per
     * action and state as requests are created, change state and are deleted (migration 0021):
     * the same few rows however many requests are stored. Any other filter is counted from an
     * index that holds every filtered column (migration 0018), never from the rows themselves,
     * so its cost grows with the requests it matches.
     *   grpcurl -H "authorization: Bearer $TOKEN" -d '{"action": "ACTION_ERASE"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/CountPrivacyRequests
     * </pre>
     */
    public void countPrivacyRequests(dev.privacyd.privacy.v1.CountPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCountPrivacyRequestsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Applies one operation (resend the confirmation, process, complete, cancel, delete or
     * deny) to up to 100 requests, as AIP-235 batch methods do, and answers for each id with
     * the result the single method would give (ResendConfirmation, ProcessPrivacyRequest,
     * CompletePrivacyRequest, CancelPrivacyRequest, DeletePrivacyRequest,
     * DenyPrivacyRequest): it runs exactly those, one request after the other.
     * NOT atomic, deliberately: each request has its own state and its own legal deadline, and
     * a console selecting twenty rows must not have nineteen legitimate answers held back
     * because one row was finished meanwhile by a colleague. Each result says what happened
     * to its request; the call itself fails only when the batch as a whole is malformed (no
     * ids, more than 100, an id twice, no operation, DENY without a reason). Needs the
     * `requests` scope, as each single method does.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"ids": ["&lt;id1&gt;", "&lt;id2&gt;"], "operation": "BATCH_OPERATION_DENY", "reason": "duplicate"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/BatchModifyPrivacyRequests
     * </pre>
     */
    public void batchModifyPrivacyRequests(dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getBatchModifyPrivacyRequestsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Per action, for a period (the current calendar year in UTC by default): how many
     * requests were received, how they ended, and the mean and median days to answer them.
     * These are the figures California's CCPA regulations, 11 CCR § 7102(a), require a
     * business that handles the personal information of 10 million or more consumers a year to
     * publish for each calendar year: requests to know and to delete received, complied with
     * in whole or in part, and denied, and the median or mean number of days within which it
     * substantively responded. Needs the `read` scope. Counted in the database; the median is
     * read with one ordered query per action, so privacyd's memory does not grow with the
     * number of requests. Deleted requests (DeletePrivacyRequest) are no longer counted: delete
     * requests only after the year's figures are published.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/GetRequestStatistics
     * </pre>
     */
    public void getRequestStatistics(dev.privacyd.privacy.v1.GetRequestStatisticsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetRequestStatisticsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetRequestStatisticsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Confirms a PENDING request with the token from the confirmation email. Public: the token
     * is the credential. A token is single-use and expires (24 hours by default). The link in
     * the email does the same in two steps: a GET of it only shows the request and a button,
     * and the button's POST confirms (a GET or HEAD, as mail scanners send, changes nothing).
     * An unknown id and a wrong token are both INVALID_TOKEN, with the same message. Calls
     * without an admin token are rate-limited per client address (60 a minute, 30 at once, by
     * default): past it RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo
     * and metadata `retry_after_seconds`. The request message may be at most 8 KiB.
     * </pre>
     */
    public void confirmPrivacyRequest(dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getConfirmPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Emails the subject a new confirmation link for a PENDING request. The new token replaces
     * the old one, which stops working, and the expiry starts again.
     * </pre>
     */
    public void resendConfirmation(dev.privacyd.privacy.v1.ResendConfirmationRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ResendConfirmationResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResendConfirmationMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Starts work on a CONFIRMED request, or again on a FAILED one: CONFIRMED or FAILED -&gt;
     * PROCESSING. privacyd then runs the action on every enabled data source capable of it,
     * concurrently, each call with the source's deadline, retried with backoff when it fails
     * with UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED (exports retry any
     * failed stream, having no side effects); `sources` shows the progress. If a source keeps
     * failing the request ends FAILED naming it and the cause. Processing a FAILED erasure again
     * re-runs only the sources that did not succeed; processing a FAILED export again exports
     * every one of its sources afresh, since what they spooled is deleted when it fails (a
     * failed attempt's partial spool at once): nothing of the subject's data waits on disk for
     * a retry that may never come.
     * An export calls `Export` on each source, builds the archive, emails the subject a
     * download link and completes.
     * An erasure calls `Erase` on each source with the request id as the idempotency key, then
     * (unless privacyd runs with `--verify-erasure=false`) calls `Export` for the same subject
     * to verify that only the groups the source reported as retained remain. A source that
     * still holds anything else fails verification: the request ends FAILED naming the source,
     * the groups and the counts, and an ERASURE_VERIFICATION_FAILED audit event records it.
     * When every source succeeded the request completes, `erasure` says which of the four
     * outcomes it was, the subject is emailed what was erased and what was kept and why, and
     * GetErasureReceipt returns the receipt.
     * Every registered source is listed in `sources`; one that is disabled or cannot do the
     * action is SOURCE_STATE_SKIPPED with its `skip_reason`, and an erasure that skipped one is
     * not `verified`. When no source would run, processing is refused with NO_CAPABLE_SOURCE and
     * the request stays as it was: a request no system processed must not complete as "nothing
     * found". Processing that starts on its own (`--auto-process` after confirmation, or the end
     * of a cooling-off period) cannot be refused to anyone, so the request goes to FAILED
     * instead, its `state_reason` saying why; process it again once a capable source is enabled.
     * With a cooling-off period (`--erase-delay`), processing a CONFIRMED erasure before
     * `confirm_time` plus the delay only schedules it: the request stays CONFIRMED with
     * `scheduled_process_time` set, and can still be cancelled (by an operator, or by the
     * subject from the confirmation page) until then. Processing it again meanwhile changes
     * nothing.
     * </pre>
     */
    public void processPrivacyRequest(dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getProcessPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Marks a PROCESSING request as fulfilled: PROCESSING -&gt; COMPLETED. For requests an
     * operator handled by hand.
     * </pre>
     */
    public void completePrivacyRequest(dev.privacyd.privacy.v1.CompletePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCompletePrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Refuses a request that is not yet finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; DENIED. GDPR Art. 12(4) requires telling the subject why, so a reason is required;
     * privacyd emails it to the subject (EMAIL_KIND_REQUEST_DENIED). A request in PROCESSING
     * has its running work stopped, as CancelPrivacyRequest describes.
     * </pre>
     */
    public void denyPrivacyRequest(dev.privacyd.privacy.v1.DenyPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDenyPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Withdraws a request that is not finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; CANCELLED. This includes an erasure waiting out its cooling-off period.
     * Cancelling a request in PROCESSING stops its work, on whichever replica it runs: the
     * request's jobs are marked cancelled in the database in the same transaction, and each
     * replica checks its running jobs against it about once a second (its job poll interval)
     * and abandons a cancelled one, cutting its call to the data source. Nothing cut off is
     * reported as done: each source that had not ended becomes SOURCE_STATE_CANCELLED, with an
     * AUDIT_EVENT_TYPE_SOURCE_CANCELLED event saying how far it got (stopped before it ran, cut
     * off during its call so that what the source applied is unknown, or, for an erasure whose
     * `Erase` had answered, applied with its verification stopped: that source keeps its
     * `erasure`). Sources that had succeeded stay SUCCEEDED. No export link and no "erasure
     * fulfilled" email goes out for a cancelled request; its spooled source data is deleted
     * once its jobs have stopped. There is no erasure receipt: the erasure did not complete.
     * Data a source has already erased stays erased: cancelling undoes nothing.
     * </pre>
     */
    public void cancelPrivacyRequest(dev.privacyd.privacy.v1.CancelPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCancelPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a finished request (COMPLETED, FAILED, DENIED, CANCELLED or EXPIRED) and the
     * personal data it holds. Its audit events and its erasure receipt stay: they hold no
     * personal data (the receipt names the subject only by a keyed hash).
     * </pre>
     */
    public void deletePrivacyRequest(dev.privacyd.privacy.v1.DeletePrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeletePrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Extends the response deadline of an unfinished request, as GDPR Art. 12(3) allows "by two
     * further months where necessary, taking into account the complexity and number of the
     * requests". The subject is told by email, with the reason.
     * </pre>
     */
    public void extendDeadline(dev.privacyd.privacy.v1.ExtendDeadlineRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ExtendDeadlineResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getExtendDeadlineMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the append-only audit log, oldest first: every state change and every email, with
     * who did it and why; or, with `subject` AUDIT_SUBJECT_DATA_SOURCE, every change to the
     * data source registry. Needs the `read` scope.
     * </pre>
     */
    public void listAuditEvents(dev.privacyd.privacy.v1.ListAuditEventsRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListAuditEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams a request's history and then its changes as they happen. The first message is the
     * request as it is now (with `replayed_until_sequence`); then one message per audit event
     * that happened before the watch began, oldest first, read from the audit log (each with
     * `replayed` set), so a watch that starts late still shows what happened; then one message
     * per new audit event, and a message without an event whenever the request changes
     * otherwise (the live progress of its data sources, at most about once a second per
     * source). The stream ends after the event that makes the request final (COMPLETED, DENIED,
     * CANCELLED, EXPIRED), or when the client cancels it: a watch on a request that is already
     * final sends its history up to that event and ends. An admin token may
     * hold at most 100 watches at once on a privacyd replica, and a replica at most 1000 in all
     * (the operator may change both); another is refused with RESOURCE_EXHAUSTED, reason
     * TOO_MANY_WATCHES, metadata `scope` (TOKEN or REPLICA) and `limit`.
     * </pre>
     */
    public void watchPrivacyRequest(dev.privacyd.privacy.v1.WatchPrivacyRequestRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchPrivacyRequestMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams the archive of a completed export: first a header, then the bytes in chunks of
     * 64 KiB to 1 MiB. Public: the download token from the "export ready" email is the
     * credential; an admin token with the `download` scope works too. Resumable from any
     * offset. With a download token it is rate-limited per client address as
     * ConfirmPrivacyRequest is (RESOURCE_EXHAUSTED, reason RATE_LIMITED).
     * </pre>
     */
    public void downloadExport(dev.privacyd.privacy.v1.DownloadExportRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DownloadExportResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getDownloadExportMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns the receipt of a completed erasure: a JSON document for the compliance file that
     * proves what was erased, what was kept and why. It is written once, when the erasure
     * completes, and kept even after the request is deleted. Each call also checks the audit
     * log against the digest chain in the receipt, so an audit event changed since is detected.
     * The receipt is signed with privacyd's Ed25519 receipt key; the public keys are published
     * without a token at GET /.well-known/privacyd/receipt-keys (on the same port) so an
     * auditor can pin them and verify receipts with any Ed25519 library.
     * </pre>
     */
    public void getErasureReceipt(dev.privacyd.privacy.v1.GetErasureReceiptRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetErasureReceiptResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetErasureReceiptMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service PrivacyRequestService.
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public static final class PrivacyRequestServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<PrivacyRequestServiceBlockingV2Stub> {
    private PrivacyRequestServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PrivacyRequestServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PrivacyRequestServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a request to export or erase a subject's personal data.
     * With `send_confirmation` the request starts PENDING and the subject is emailed a link to
     * confirm it (the organisation must verify who is asking before it hands out or destroys
     * data). Without it the request starts CONFIRMED: an operator acting on an identity they
     * have already verified.
     * A second unfinished request (PENDING, CONFIRMED, PROCESSING or FAILED) for the same
     * email address and action fails with DUPLICATE_REQUEST and names the existing one.
     * Sending the same `request_id` again returns the request the first call created and
     * sends no second email.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CreatePrivacyRequestResponse createPrivacyRequest(dev.privacyd.privacy.v1.CreatePrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreatePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one request with its state, deadline and email deliveries.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetPrivacyRequestResponse getPrivacyRequest(dev.privacyd.privacy.v1.GetPrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists requests, newest first or by deadline (`order_by`), optionally filtered by action,
     * state, subject email (exact, or a case-insensitive search), creation time and deadline.
     * Pages are keyset-based, so a page never skips or repeats a request when others are
     * created meanwhile. Each page is read along an index in the order asked for (migration
     * 0018 adds the one by due time), so no page sorts the whole table.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListPrivacyRequestsResponse listPrivacyRequests(dev.privacyd.privacy.v1.ListPrivacyRequestsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Counts the requests in each state that match the same filters as ListPrivacyRequests
     * (without `state`): what a console shows in its tabs, "All (n) | Pending (n) | ...". Needs
     * the `read` scope. With no filter but `action`, the counts are sums of tallies kept per
     * action and state as requests are created, change state and are deleted (migration 0021):
     * the same few rows however many requests are stored. Any other filter is counted from an
     * index that holds every filtered column (migration 0018), never from the rows themselves,
     * so its cost grows with the requests it matches.
     *   grpcurl -H "authorization: Bearer $TOKEN" -d '{"action": "ACTION_ERASE"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/CountPrivacyRequests
     * </pre>
     */
    public dev.privacyd.privacy.v1.CountPrivacyRequestsResponse countPrivacyRequests(dev.privacyd.privacy.v1.CountPrivacyRequestsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCountPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Applies one operation (resend the confirmation, process, complete, cancel, delete or
     * deny) to up to 100 requests, as AIP-235 batch methods do, and answers for each id with
     * the result the single method would give (ResendConfirmation, ProcessPrivacyRequest,
     * CompletePrivacyRequest, CancelPrivacyRequest, DeletePrivacyRequest,
     * DenyPrivacyRequest): it runs exactly those, one request after the other.
     * NOT atomic, deliberately: each request has its own state and its own legal deadline, and
     * a console selecting twenty rows must not have nineteen legitimate answers held back
     * because one row was finished meanwhile by a colleague. Each result says what happened
     * to its request; the call itself fails only when the batch as a whole is malformed (no
     * ids, more than 100, an id twice, no operation, DENY without a reason). Needs the
     * `requests` scope, as each single method does.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"ids": ["&lt;id1&gt;", "&lt;id2&gt;"], "operation": "BATCH_OPERATION_DENY", "reason": "duplicate"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/BatchModifyPrivacyRequests
     * </pre>
     */
    public dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse batchModifyPrivacyRequests(dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getBatchModifyPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Per action, for a period (the current calendar year in UTC by default): how many
     * requests were received, how they ended, and the mean and median days to answer them.
     * These are the figures California's CCPA regulations, 11 CCR § 7102(a), require a
     * business that handles the personal information of 10 million or more consumers a year to
     * publish for each calendar year: requests to know and to delete received, complied with
     * in whole or in part, and denied, and the median or mean number of days within which it
     * substantively responded. Needs the `read` scope. Counted in the database; the median is
     * read with one ordered query per action, so privacyd's memory does not grow with the
     * number of requests. Deleted requests (DeletePrivacyRequest) are no longer counted: delete
     * requests only after the year's figures are published.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/GetRequestStatistics
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetRequestStatisticsResponse getRequestStatistics(dev.privacyd.privacy.v1.GetRequestStatisticsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetRequestStatisticsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Confirms a PENDING request with the token from the confirmation email. Public: the token
     * is the credential. A token is single-use and expires (24 hours by default). The link in
     * the email does the same in two steps: a GET of it only shows the request and a button,
     * and the button's POST confirms (a GET or HEAD, as mail scanners send, changes nothing).
     * An unknown id and a wrong token are both INVALID_TOKEN, with the same message. Calls
     * without an admin token are rate-limited per client address (60 a minute, 30 at once, by
     * default): past it RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo
     * and metadata `retry_after_seconds`. The request message may be at most 8 KiB.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse confirmPrivacyRequest(dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getConfirmPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Emails the subject a new confirmation link for a PENDING request. The new token replaces
     * the old one, which stops working, and the expiry starts again.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ResendConfirmationResponse resendConfirmation(dev.privacyd.privacy.v1.ResendConfirmationRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResendConfirmationMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Starts work on a CONFIRMED request, or again on a FAILED one: CONFIRMED or FAILED -&gt;
     * PROCESSING. privacyd then runs the action on every enabled data source capable of it,
     * concurrently, each call with the source's deadline, retried with backoff when it fails
     * with UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED (exports retry any
     * failed stream, having no side effects); `sources` shows the progress. If a source keeps
     * failing the request ends FAILED naming it and the cause. Processing a FAILED erasure again
     * re-runs only the sources that did not succeed; processing a FAILED export again exports
     * every one of its sources afresh, since what they spooled is deleted when it fails (a
     * failed attempt's partial spool at once): nothing of the subject's data waits on disk for
     * a retry that may never come.
     * An export calls `Export` on each source, builds the archive, emails the subject a
     * download link and completes.
     * An erasure calls `Erase` on each source with the request id as the idempotency key, then
     * (unless privacyd runs with `--verify-erasure=false`) calls `Export` for the same subject
     * to verify that only the groups the source reported as retained remain. A source that
     * still holds anything else fails verification: the request ends FAILED naming the source,
     * the groups and the counts, and an ERASURE_VERIFICATION_FAILED audit event records it.
     * When every source succeeded the request completes, `erasure` says which of the four
     * outcomes it was, the subject is emailed what was erased and what was kept and why, and
     * GetErasureReceipt returns the receipt.
     * Every registered source is listed in `sources`; one that is disabled or cannot do the
     * action is SOURCE_STATE_SKIPPED with its `skip_reason`, and an erasure that skipped one is
     * not `verified`. When no source would run, processing is refused with NO_CAPABLE_SOURCE and
     * the request stays as it was: a request no system processed must not complete as "nothing
     * found". Processing that starts on its own (`--auto-process` after confirmation, or the end
     * of a cooling-off period) cannot be refused to anyone, so the request goes to FAILED
     * instead, its `state_reason` saying why; process it again once a capable source is enabled.
     * With a cooling-off period (`--erase-delay`), processing a CONFIRMED erasure before
     * `confirm_time` plus the delay only schedules it: the request stays CONFIRMED with
     * `scheduled_process_time` set, and can still be cancelled (by an operator, or by the
     * subject from the confirmation page) until then. Processing it again meanwhile changes
     * nothing.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse processPrivacyRequest(dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getProcessPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Marks a PROCESSING request as fulfilled: PROCESSING -&gt; COMPLETED. For requests an
     * operator handled by hand.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CompletePrivacyRequestResponse completePrivacyRequest(dev.privacyd.privacy.v1.CompletePrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCompletePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Refuses a request that is not yet finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; DENIED. GDPR Art. 12(4) requires telling the subject why, so a reason is required;
     * privacyd emails it to the subject (EMAIL_KIND_REQUEST_DENIED). A request in PROCESSING
     * has its running work stopped, as CancelPrivacyRequest describes.
     * </pre>
     */
    public dev.privacyd.privacy.v1.DenyPrivacyRequestResponse denyPrivacyRequest(dev.privacyd.privacy.v1.DenyPrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDenyPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Withdraws a request that is not finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; CANCELLED. This includes an erasure waiting out its cooling-off period.
     * Cancelling a request in PROCESSING stops its work, on whichever replica it runs: the
     * request's jobs are marked cancelled in the database in the same transaction, and each
     * replica checks its running jobs against it about once a second (its job poll interval)
     * and abandons a cancelled one, cutting its call to the data source. Nothing cut off is
     * reported as done: each source that had not ended becomes SOURCE_STATE_CANCELLED, with an
     * AUDIT_EVENT_TYPE_SOURCE_CANCELLED event saying how far it got (stopped before it ran, cut
     * off during its call so that what the source applied is unknown, or, for an erasure whose
     * `Erase` had answered, applied with its verification stopped: that source keeps its
     * `erasure`). Sources that had succeeded stay SUCCEEDED. No export link and no "erasure
     * fulfilled" email goes out for a cancelled request; its spooled source data is deleted
     * once its jobs have stopped. There is no erasure receipt: the erasure did not complete.
     * Data a source has already erased stays erased: cancelling undoes nothing.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CancelPrivacyRequestResponse cancelPrivacyRequest(dev.privacyd.privacy.v1.CancelPrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCancelPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a finished request (COMPLETED, FAILED, DENIED, CANCELLED or EXPIRED) and the
     * personal data it holds. Its audit events and its erasure receipt stay: they hold no
     * personal data (the receipt names the subject only by a keyed hash).
     * </pre>
     */
    public dev.privacyd.privacy.v1.DeletePrivacyRequestResponse deletePrivacyRequest(dev.privacyd.privacy.v1.DeletePrivacyRequestRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeletePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Extends the response deadline of an unfinished request, as GDPR Art. 12(3) allows "by two
     * further months where necessary, taking into account the complexity and number of the
     * requests". The subject is told by email, with the reason.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ExtendDeadlineResponse extendDeadline(dev.privacyd.privacy.v1.ExtendDeadlineRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getExtendDeadlineMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the append-only audit log, oldest first: every state change and every email, with
     * who did it and why; or, with `subject` AUDIT_SUBJECT_DATA_SOURCE, every change to the
     * data source registry. Needs the `read` scope.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListAuditEventsResponse listAuditEvents(dev.privacyd.privacy.v1.ListAuditEventsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a request's history and then its changes as they happen. The first message is the
     * request as it is now (with `replayed_until_sequence`); then one message per audit event
     * that happened before the watch began, oldest first, read from the audit log (each with
     * `replayed` set), so a watch that starts late still shows what happened; then one message
     * per new audit event, and a message without an event whenever the request changes
     * otherwise (the live progress of its data sources, at most about once a second per
     * source). The stream ends after the event that makes the request final (COMPLETED, DENIED,
     * CANCELLED, EXPIRED), or when the client cancels it: a watch on a request that is already
     * final sends its history up to that event and ends. An admin token may
     * hold at most 100 watches at once on a privacyd replica, and a replica at most 1000 in all
     * (the operator may change both); another is refused with RESOURCE_EXHAUSTED, reason
     * TOO_MANY_WATCHES, metadata `scope` (TOKEN or REPLICA) and `limit`.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.privacyd.privacy.v1.WatchPrivacyRequestResponse>
        watchPrivacyRequest(dev.privacyd.privacy.v1.WatchPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams the archive of a completed export: first a header, then the bytes in chunks of
     * 64 KiB to 1 MiB. Public: the download token from the "export ready" email is the
     * credential; an admin token with the `download` scope works too. Resumable from any
     * offset. With a download token it is rate-limited per client address as
     * ConfirmPrivacyRequest is (RESOURCE_EXHAUSTED, reason RATE_LIMITED).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.privacyd.privacy.v1.DownloadExportResponse>
        downloadExport(dev.privacyd.privacy.v1.DownloadExportRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getDownloadExportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns the receipt of a completed erasure: a JSON document for the compliance file that
     * proves what was erased, what was kept and why. It is written once, when the erasure
     * completes, and kept even after the request is deleted. Each call also checks the audit
     * log against the digest chain in the receipt, so an audit event changed since is detected.
     * The receipt is signed with privacyd's Ed25519 receipt key; the public keys are published
     * without a token at GET /.well-known/privacyd/receipt-keys (on the same port) so an
     * auditor can pin them and verify receipts with any Ed25519 library.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetErasureReceiptResponse getErasureReceipt(dev.privacyd.privacy.v1.GetErasureReceiptRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetErasureReceiptMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service PrivacyRequestService.
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public static final class PrivacyRequestServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<PrivacyRequestServiceBlockingStub> {
    private PrivacyRequestServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PrivacyRequestServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PrivacyRequestServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a request to export or erase a subject's personal data.
     * With `send_confirmation` the request starts PENDING and the subject is emailed a link to
     * confirm it (the organisation must verify who is asking before it hands out or destroys
     * data). Without it the request starts CONFIRMED: an operator acting on an identity they
     * have already verified.
     * A second unfinished request (PENDING, CONFIRMED, PROCESSING or FAILED) for the same
     * email address and action fails with DUPLICATE_REQUEST and names the existing one.
     * Sending the same `request_id` again returns the request the first call created and
     * sends no second email.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CreatePrivacyRequestResponse createPrivacyRequest(dev.privacyd.privacy.v1.CreatePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreatePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one request with its state, deadline and email deliveries.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetPrivacyRequestResponse getPrivacyRequest(dev.privacyd.privacy.v1.GetPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists requests, newest first or by deadline (`order_by`), optionally filtered by action,
     * state, subject email (exact, or a case-insensitive search), creation time and deadline.
     * Pages are keyset-based, so a page never skips or repeats a request when others are
     * created meanwhile. Each page is read along an index in the order asked for (migration
     * 0018 adds the one by due time), so no page sorts the whole table.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListPrivacyRequestsResponse listPrivacyRequests(dev.privacyd.privacy.v1.ListPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Counts the requests in each state that match the same filters as ListPrivacyRequests
     * (without `state`): what a console shows in its tabs, "All (n) | Pending (n) | ...". Needs
     * the `read` scope. With no filter but `action`, the counts are sums of tallies kept per
     * action and state as requests are created, change state and are deleted (migration 0021):
     * the same few rows however many requests are stored. Any other filter is counted from an
     * index that holds every filtered column (migration 0018), never from the rows themselves,
     * so its cost grows with the requests it matches.
     *   grpcurl -H "authorization: Bearer $TOKEN" -d '{"action": "ACTION_ERASE"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/CountPrivacyRequests
     * </pre>
     */
    public dev.privacyd.privacy.v1.CountPrivacyRequestsResponse countPrivacyRequests(dev.privacyd.privacy.v1.CountPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCountPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Applies one operation (resend the confirmation, process, complete, cancel, delete or
     * deny) to up to 100 requests, as AIP-235 batch methods do, and answers for each id with
     * the result the single method would give (ResendConfirmation, ProcessPrivacyRequest,
     * CompletePrivacyRequest, CancelPrivacyRequest, DeletePrivacyRequest,
     * DenyPrivacyRequest): it runs exactly those, one request after the other.
     * NOT atomic, deliberately: each request has its own state and its own legal deadline, and
     * a console selecting twenty rows must not have nineteen legitimate answers held back
     * because one row was finished meanwhile by a colleague. Each result says what happened
     * to its request; the call itself fails only when the batch as a whole is malformed (no
     * ids, more than 100, an id twice, no operation, DENY without a reason). Needs the
     * `requests` scope, as each single method does.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"ids": ["&lt;id1&gt;", "&lt;id2&gt;"], "operation": "BATCH_OPERATION_DENY", "reason": "duplicate"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/BatchModifyPrivacyRequests
     * </pre>
     */
    public dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse batchModifyPrivacyRequests(dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getBatchModifyPrivacyRequestsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Per action, for a period (the current calendar year in UTC by default): how many
     * requests were received, how they ended, and the mean and median days to answer them.
     * These are the figures California's CCPA regulations, 11 CCR § 7102(a), require a
     * business that handles the personal information of 10 million or more consumers a year to
     * publish for each calendar year: requests to know and to delete received, complied with
     * in whole or in part, and denied, and the median or mean number of days within which it
     * substantively responded. Needs the `read` scope. Counted in the database; the median is
     * read with one ordered query per action, so privacyd's memory does not grow with the
     * number of requests. Deleted requests (DeletePrivacyRequest) are no longer counted: delete
     * requests only after the year's figures are published.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/GetRequestStatistics
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetRequestStatisticsResponse getRequestStatistics(dev.privacyd.privacy.v1.GetRequestStatisticsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetRequestStatisticsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Confirms a PENDING request with the token from the confirmation email. Public: the token
     * is the credential. A token is single-use and expires (24 hours by default). The link in
     * the email does the same in two steps: a GET of it only shows the request and a button,
     * and the button's POST confirms (a GET or HEAD, as mail scanners send, changes nothing).
     * An unknown id and a wrong token are both INVALID_TOKEN, with the same message. Calls
     * without an admin token are rate-limited per client address (60 a minute, 30 at once, by
     * default): past it RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo
     * and metadata `retry_after_seconds`. The request message may be at most 8 KiB.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse confirmPrivacyRequest(dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getConfirmPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Emails the subject a new confirmation link for a PENDING request. The new token replaces
     * the old one, which stops working, and the expiry starts again.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ResendConfirmationResponse resendConfirmation(dev.privacyd.privacy.v1.ResendConfirmationRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResendConfirmationMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Starts work on a CONFIRMED request, or again on a FAILED one: CONFIRMED or FAILED -&gt;
     * PROCESSING. privacyd then runs the action on every enabled data source capable of it,
     * concurrently, each call with the source's deadline, retried with backoff when it fails
     * with UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED (exports retry any
     * failed stream, having no side effects); `sources` shows the progress. If a source keeps
     * failing the request ends FAILED naming it and the cause. Processing a FAILED erasure again
     * re-runs only the sources that did not succeed; processing a FAILED export again exports
     * every one of its sources afresh, since what they spooled is deleted when it fails (a
     * failed attempt's partial spool at once): nothing of the subject's data waits on disk for
     * a retry that may never come.
     * An export calls `Export` on each source, builds the archive, emails the subject a
     * download link and completes.
     * An erasure calls `Erase` on each source with the request id as the idempotency key, then
     * (unless privacyd runs with `--verify-erasure=false`) calls `Export` for the same subject
     * to verify that only the groups the source reported as retained remain. A source that
     * still holds anything else fails verification: the request ends FAILED naming the source,
     * the groups and the counts, and an ERASURE_VERIFICATION_FAILED audit event records it.
     * When every source succeeded the request completes, `erasure` says which of the four
     * outcomes it was, the subject is emailed what was erased and what was kept and why, and
     * GetErasureReceipt returns the receipt.
     * Every registered source is listed in `sources`; one that is disabled or cannot do the
     * action is SOURCE_STATE_SKIPPED with its `skip_reason`, and an erasure that skipped one is
     * not `verified`. When no source would run, processing is refused with NO_CAPABLE_SOURCE and
     * the request stays as it was: a request no system processed must not complete as "nothing
     * found". Processing that starts on its own (`--auto-process` after confirmation, or the end
     * of a cooling-off period) cannot be refused to anyone, so the request goes to FAILED
     * instead, its `state_reason` saying why; process it again once a capable source is enabled.
     * With a cooling-off period (`--erase-delay`), processing a CONFIRMED erasure before
     * `confirm_time` plus the delay only schedules it: the request stays CONFIRMED with
     * `scheduled_process_time` set, and can still be cancelled (by an operator, or by the
     * subject from the confirmation page) until then. Processing it again meanwhile changes
     * nothing.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse processPrivacyRequest(dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getProcessPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Marks a PROCESSING request as fulfilled: PROCESSING -&gt; COMPLETED. For requests an
     * operator handled by hand.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CompletePrivacyRequestResponse completePrivacyRequest(dev.privacyd.privacy.v1.CompletePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCompletePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Refuses a request that is not yet finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; DENIED. GDPR Art. 12(4) requires telling the subject why, so a reason is required;
     * privacyd emails it to the subject (EMAIL_KIND_REQUEST_DENIED). A request in PROCESSING
     * has its running work stopped, as CancelPrivacyRequest describes.
     * </pre>
     */
    public dev.privacyd.privacy.v1.DenyPrivacyRequestResponse denyPrivacyRequest(dev.privacyd.privacy.v1.DenyPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDenyPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Withdraws a request that is not finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; CANCELLED. This includes an erasure waiting out its cooling-off period.
     * Cancelling a request in PROCESSING stops its work, on whichever replica it runs: the
     * request's jobs are marked cancelled in the database in the same transaction, and each
     * replica checks its running jobs against it about once a second (its job poll interval)
     * and abandons a cancelled one, cutting its call to the data source. Nothing cut off is
     * reported as done: each source that had not ended becomes SOURCE_STATE_CANCELLED, with an
     * AUDIT_EVENT_TYPE_SOURCE_CANCELLED event saying how far it got (stopped before it ran, cut
     * off during its call so that what the source applied is unknown, or, for an erasure whose
     * `Erase` had answered, applied with its verification stopped: that source keeps its
     * `erasure`). Sources that had succeeded stay SUCCEEDED. No export link and no "erasure
     * fulfilled" email goes out for a cancelled request; its spooled source data is deleted
     * once its jobs have stopped. There is no erasure receipt: the erasure did not complete.
     * Data a source has already erased stays erased: cancelling undoes nothing.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CancelPrivacyRequestResponse cancelPrivacyRequest(dev.privacyd.privacy.v1.CancelPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCancelPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a finished request (COMPLETED, FAILED, DENIED, CANCELLED or EXPIRED) and the
     * personal data it holds. Its audit events and its erasure receipt stay: they hold no
     * personal data (the receipt names the subject only by a keyed hash).
     * </pre>
     */
    public dev.privacyd.privacy.v1.DeletePrivacyRequestResponse deletePrivacyRequest(dev.privacyd.privacy.v1.DeletePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeletePrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Extends the response deadline of an unfinished request, as GDPR Art. 12(3) allows "by two
     * further months where necessary, taking into account the complexity and number of the
     * requests". The subject is told by email, with the reason.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ExtendDeadlineResponse extendDeadline(dev.privacyd.privacy.v1.ExtendDeadlineRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getExtendDeadlineMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the append-only audit log, oldest first: every state change and every email, with
     * who did it and why; or, with `subject` AUDIT_SUBJECT_DATA_SOURCE, every change to the
     * data source registry. Needs the `read` scope.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListAuditEventsResponse listAuditEvents(dev.privacyd.privacy.v1.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAuditEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a request's history and then its changes as they happen. The first message is the
     * request as it is now (with `replayed_until_sequence`); then one message per audit event
     * that happened before the watch began, oldest first, read from the audit log (each with
     * `replayed` set), so a watch that starts late still shows what happened; then one message
     * per new audit event, and a message without an event whenever the request changes
     * otherwise (the live progress of its data sources, at most about once a second per
     * source). The stream ends after the event that makes the request final (COMPLETED, DENIED,
     * CANCELLED, EXPIRED), or when the client cancels it: a watch on a request that is already
     * final sends its history up to that event and ends. An admin token may
     * hold at most 100 watches at once on a privacyd replica, and a replica at most 1000 in all
     * (the operator may change both); another is refused with RESOURCE_EXHAUSTED, reason
     * TOO_MANY_WATCHES, metadata `scope` (TOKEN or REPLICA) and `limit`.
     * </pre>
     */
    public java.util.Iterator<dev.privacyd.privacy.v1.WatchPrivacyRequestResponse> watchPrivacyRequest(
        dev.privacyd.privacy.v1.WatchPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchPrivacyRequestMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams the archive of a completed export: first a header, then the bytes in chunks of
     * 64 KiB to 1 MiB. Public: the download token from the "export ready" email is the
     * credential; an admin token with the `download` scope works too. Resumable from any
     * offset. With a download token it is rate-limited per client address as
     * ConfirmPrivacyRequest is (RESOURCE_EXHAUSTED, reason RATE_LIMITED).
     * </pre>
     */
    public java.util.Iterator<dev.privacyd.privacy.v1.DownloadExportResponse> downloadExport(
        dev.privacyd.privacy.v1.DownloadExportRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getDownloadExportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns the receipt of a completed erasure: a JSON document for the compliance file that
     * proves what was erased, what was kept and why. It is written once, when the erasure
     * completes, and kept even after the request is deleted. Each call also checks the audit
     * log against the digest chain in the receipt, so an audit event changed since is detected.
     * The receipt is signed with privacyd's Ed25519 receipt key; the public keys are published
     * without a token at GET /.well-known/privacyd/receipt-keys (on the same port) so an
     * auditor can pin them and verify receipts with any Ed25519 library.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetErasureReceiptResponse getErasureReceipt(dev.privacyd.privacy.v1.GetErasureReceiptRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetErasureReceiptMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service PrivacyRequestService.
   * <pre>
   * PrivacyRequestService takes data-subject requests (GDPR Art. 15 "give me a copy of my data"
   * and Art. 17 "erase my data"; CCPA "know" and "delete"), confirms them with the subject by
   * email, and tracks each one through its states and its legal deadline.
   * Authentication: every method needs the metadata `authorization: Bearer &lt;admin token&gt;`
   * except `ConfirmPrivacyRequest` and `DownloadExport`, whose token field is the credential.
   * A missing or wrong admin token fails with UNAUTHENTICATED. On a privacyd started with
   * `--tls-client-ca` (mTLS), an admin token counts only on a connection that presented a client
   * certificate issued by that CA; without one, CLIENT_CERTIFICATE_REQUIRED.
   * Errors: every error is a `google.rpc.Status` whose details hold a `google.rpc.ErrorInfo`
   * with domain "privacyd" and a stable `reason` that programs may switch on:
   * | reason              | code                | meaning                                            |
   * |---------------------|---------------------|----------------------------------------------------|
   * | INVALID_FIELD       | INVALID_ARGUMENT    | a field is missing, malformed or too long; metadata `field` names it |
   * | INVALID_PAGE_TOKEN  | INVALID_ARGUMENT    | the page token is malformed or was made for other filters |
   * | REQUEST_ID_REUSED   | INVALID_ARGUMENT    | a `request_id` was sent again with a different request |
   * | NOT_FOUND           | NOT_FOUND           | no privacy request has that id                      |
   * | DUPLICATE_REQUEST   | ALREADY_EXISTS      | the subject already has an unfinished request of that action; metadata `existing_id` names it |
   * | ILLEGAL_TRANSITION  | FAILED_PRECONDITION | the request's state does not allow this; metadata `state` says which state it is in |
   * | DEADLINE_EXTENSION_EXCEEDED | FAILED_PRECONDITION | the deadline may be extended by two months at most in all |
   * | INVALID_TOKEN       | PERMISSION_DENIED   | the subject's token (or the id it was given with) is wrong; metadata `credential` names it: `confirmation_token` or `download_token` |
   * | TOKEN_EXPIRED       | FAILED_PRECONDITION | the confirmation token expired; the request is now EXPIRED |
   * | TOKEN_USED          | FAILED_PRECONDITION | the confirmation token was already used             |
   * | NO_CAPABLE_SOURCE   | FAILED_PRECONDITION | ProcessPrivacyRequest: no registered data source is enabled and capable of the action; metadata `action` |
   * | EXPORT_NOT_READY    | FAILED_PRECONDITION | DownloadExport: the request has no archive (yet); metadata `state` |
   * | ARCHIVE_EXPIRED     | FAILED_PRECONDITION | DownloadExport: the archive expired and was deleted |
   * | NOT_AN_ERASURE      | FAILED_PRECONDITION | GetErasureReceipt: the request is an export         |
   * | RECEIPT_NOT_READY   | FAILED_PRECONDITION | GetErasureReceipt: the erasure has not completed; metadata `state` |
   * | RECEIPT_LOST        | DATA_LOSS           | GetErasureReceipt: the stored receipt was deleted (past the write-once trigger) after `--job-retention` removed the runs it is written from; restore it from a backup |
   * | SUBJECT_PURGED      | FAILED_PRECONDITION | what needs the subject's identifiers, on a request whose subject was purged after `--request-retention` (see `subject_purge_time`) |
   * | UNAUTHENTICATED     | UNAUTHENTICATED     | no admin token, or an unknown one                   |
   * | CLIENT_CERTIFICATE_REQUIRED | UNAUTHENTICATED | an admin token on a connection without a client certificate, where `--tls-client-ca` requires one |
   * | UNAVAILABLE         | UNAVAILABLE         | the database could not be reached; safe to retry     |
   * | INTERNAL            | INTERNAL            | privacyd's fault; the details are in its log, not in the reply |
   * </pre>
   */
  public static final class PrivacyRequestServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<PrivacyRequestServiceFutureStub> {
    private PrivacyRequestServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PrivacyRequestServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PrivacyRequestServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a request to export or erase a subject's personal data.
     * With `send_confirmation` the request starts PENDING and the subject is emailed a link to
     * confirm it (the organisation must verify who is asking before it hands out or destroys
     * data). Without it the request starts CONFIRMED: an operator acting on an identity they
     * have already verified.
     * A second unfinished request (PENDING, CONFIRMED, PROCESSING or FAILED) for the same
     * email address and action fails with DUPLICATE_REQUEST and names the existing one.
     * Sending the same `request_id` again returns the request the first call created and
     * sends no second email.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.CreatePrivacyRequestResponse> createPrivacyRequest(
        dev.privacyd.privacy.v1.CreatePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreatePrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one request with its state, deadline and email deliveries.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.GetPrivacyRequestResponse> getPrivacyRequest(
        dev.privacyd.privacy.v1.GetPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetPrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists requests, newest first or by deadline (`order_by`), optionally filtered by action,
     * state, subject email (exact, or a case-insensitive search), creation time and deadline.
     * Pages are keyset-based, so a page never skips or repeats a request when others are
     * created meanwhile. Each page is read along an index in the order asked for (migration
     * 0018 adds the one by due time), so no page sorts the whole table.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ListPrivacyRequestsResponse> listPrivacyRequests(
        dev.privacyd.privacy.v1.ListPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListPrivacyRequestsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Counts the requests in each state that match the same filters as ListPrivacyRequests
     * (without `state`): what a console shows in its tabs, "All (n) | Pending (n) | ...". Needs
     * the `read` scope. With no filter but `action`, the counts are sums of tallies kept per
     * action and state as requests are created, change state and are deleted (migration 0021):
     * the same few rows however many requests are stored. Any other filter is counted from an
     * index that holds every filtered column (migration 0018), never from the rows themselves,
     * so its cost grows with the requests it matches.
     *   grpcurl -H "authorization: Bearer $TOKEN" -d '{"action": "ACTION_ERASE"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/CountPrivacyRequests
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.CountPrivacyRequestsResponse> countPrivacyRequests(
        dev.privacyd.privacy.v1.CountPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCountPrivacyRequestsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Applies one operation (resend the confirmation, process, complete, cancel, delete or
     * deny) to up to 100 requests, as AIP-235 batch methods do, and answers for each id with
     * the result the single method would give (ResendConfirmation, ProcessPrivacyRequest,
     * CompletePrivacyRequest, CancelPrivacyRequest, DeletePrivacyRequest,
     * DenyPrivacyRequest): it runs exactly those, one request after the other.
     * NOT atomic, deliberately: each request has its own state and its own legal deadline, and
     * a console selecting twenty rows must not have nineteen legitimate answers held back
     * because one row was finished meanwhile by a colleague. Each result says what happened
     * to its request; the call itself fails only when the batch as a whole is malformed (no
     * ids, more than 100, an id twice, no operation, DENY without a reason). Needs the
     * `requests` scope, as each single method does.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"ids": ["&lt;id1&gt;", "&lt;id2&gt;"], "operation": "BATCH_OPERATION_DENY", "reason": "duplicate"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/BatchModifyPrivacyRequests
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse> batchModifyPrivacyRequests(
        dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getBatchModifyPrivacyRequestsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Per action, for a period (the current calendar year in UTC by default): how many
     * requests were received, how they ended, and the mean and median days to answer them.
     * These are the figures California's CCPA regulations, 11 CCR § 7102(a), require a
     * business that handles the personal information of 10 million or more consumers a year to
     * publish for each calendar year: requests to know and to delete received, complied with
     * in whole or in part, and denied, and the median or mean number of days within which it
     * substantively responded. Needs the `read` scope. Counted in the database; the median is
     * read with one ordered query per action, so privacyd's memory does not grow with the
     * number of requests. Deleted requests (DeletePrivacyRequest) are no longer counted: delete
     * requests only after the year's figures are published.
     *   grpcurl -H "authorization: Bearer $TOKEN" &#92;
     *     -d '{"start_time": "2026-01-01T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}' &#92;
     *     localhost:50051 privacy.v1.PrivacyRequestService/GetRequestStatistics
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.GetRequestStatisticsResponse> getRequestStatistics(
        dev.privacyd.privacy.v1.GetRequestStatisticsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetRequestStatisticsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Confirms a PENDING request with the token from the confirmation email. Public: the token
     * is the credential. A token is single-use and expires (24 hours by default). The link in
     * the email does the same in two steps: a GET of it only shows the request and a button,
     * and the button's POST confirms (a GET or HEAD, as mail scanners send, changes nothing).
     * An unknown id and a wrong token are both INVALID_TOKEN, with the same message. Calls
     * without an admin token are rate-limited per client address (60 a minute, 30 at once, by
     * default): past it RESOURCE_EXHAUSTED, reason RATE_LIMITED, with a google.rpc.RetryInfo
     * and metadata `retry_after_seconds`. The request message may be at most 8 KiB.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse> confirmPrivacyRequest(
        dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getConfirmPrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Emails the subject a new confirmation link for a PENDING request. The new token replaces
     * the old one, which stops working, and the expiry starts again.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ResendConfirmationResponse> resendConfirmation(
        dev.privacyd.privacy.v1.ResendConfirmationRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResendConfirmationMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Starts work on a CONFIRMED request, or again on a FAILED one: CONFIRMED or FAILED -&gt;
     * PROCESSING. privacyd then runs the action on every enabled data source capable of it,
     * concurrently, each call with the source's deadline, retried with backoff when it fails
     * with UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED (exports retry any
     * failed stream, having no side effects); `sources` shows the progress. If a source keeps
     * failing the request ends FAILED naming it and the cause. Processing a FAILED erasure again
     * re-runs only the sources that did not succeed; processing a FAILED export again exports
     * every one of its sources afresh, since what they spooled is deleted when it fails (a
     * failed attempt's partial spool at once): nothing of the subject's data waits on disk for
     * a retry that may never come.
     * An export calls `Export` on each source, builds the archive, emails the subject a
     * download link and completes.
     * An erasure calls `Erase` on each source with the request id as the idempotency key, then
     * (unless privacyd runs with `--verify-erasure=false`) calls `Export` for the same subject
     * to verify that only the groups the source reported as retained remain. A source that
     * still holds anything else fails verification: the request ends FAILED naming the source,
     * the groups and the counts, and an ERASURE_VERIFICATION_FAILED audit event records it.
     * When every source succeeded the request completes, `erasure` says which of the four
     * outcomes it was, the subject is emailed what was erased and what was kept and why, and
     * GetErasureReceipt returns the receipt.
     * Every registered source is listed in `sources`; one that is disabled or cannot do the
     * action is SOURCE_STATE_SKIPPED with its `skip_reason`, and an erasure that skipped one is
     * not `verified`. When no source would run, processing is refused with NO_CAPABLE_SOURCE and
     * the request stays as it was: a request no system processed must not complete as "nothing
     * found". Processing that starts on its own (`--auto-process` after confirmation, or the end
     * of a cooling-off period) cannot be refused to anyone, so the request goes to FAILED
     * instead, its `state_reason` saying why; process it again once a capable source is enabled.
     * With a cooling-off period (`--erase-delay`), processing a CONFIRMED erasure before
     * `confirm_time` plus the delay only schedules it: the request stays CONFIRMED with
     * `scheduled_process_time` set, and can still be cancelled (by an operator, or by the
     * subject from the confirmation page) until then. Processing it again meanwhile changes
     * nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse> processPrivacyRequest(
        dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getProcessPrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Marks a PROCESSING request as fulfilled: PROCESSING -&gt; COMPLETED. For requests an
     * operator handled by hand.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.CompletePrivacyRequestResponse> completePrivacyRequest(
        dev.privacyd.privacy.v1.CompletePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCompletePrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Refuses a request that is not yet finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; DENIED. GDPR Art. 12(4) requires telling the subject why, so a reason is required;
     * privacyd emails it to the subject (EMAIL_KIND_REQUEST_DENIED). A request in PROCESSING
     * has its running work stopped, as CancelPrivacyRequest describes.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.DenyPrivacyRequestResponse> denyPrivacyRequest(
        dev.privacyd.privacy.v1.DenyPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDenyPrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Withdraws a request that is not finished (PENDING, CONFIRMED, PROCESSING or FAILED)
     * -&gt; CANCELLED. This includes an erasure waiting out its cooling-off period.
     * Cancelling a request in PROCESSING stops its work, on whichever replica it runs: the
     * request's jobs are marked cancelled in the database in the same transaction, and each
     * replica checks its running jobs against it about once a second (its job poll interval)
     * and abandons a cancelled one, cutting its call to the data source. Nothing cut off is
     * reported as done: each source that had not ended becomes SOURCE_STATE_CANCELLED, with an
     * AUDIT_EVENT_TYPE_SOURCE_CANCELLED event saying how far it got (stopped before it ran, cut
     * off during its call so that what the source applied is unknown, or, for an erasure whose
     * `Erase` had answered, applied with its verification stopped: that source keeps its
     * `erasure`). Sources that had succeeded stay SUCCEEDED. No export link and no "erasure
     * fulfilled" email goes out for a cancelled request; its spooled source data is deleted
     * once its jobs have stopped. There is no erasure receipt: the erasure did not complete.
     * Data a source has already erased stays erased: cancelling undoes nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.CancelPrivacyRequestResponse> cancelPrivacyRequest(
        dev.privacyd.privacy.v1.CancelPrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCancelPrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a finished request (COMPLETED, FAILED, DENIED, CANCELLED or EXPIRED) and the
     * personal data it holds. Its audit events and its erasure receipt stay: they hold no
     * personal data (the receipt names the subject only by a keyed hash).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.DeletePrivacyRequestResponse> deletePrivacyRequest(
        dev.privacyd.privacy.v1.DeletePrivacyRequestRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeletePrivacyRequestMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Extends the response deadline of an unfinished request, as GDPR Art. 12(3) allows "by two
     * further months where necessary, taking into account the complexity and number of the
     * requests". The subject is told by email, with the reason.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ExtendDeadlineResponse> extendDeadline(
        dev.privacyd.privacy.v1.ExtendDeadlineRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getExtendDeadlineMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the append-only audit log, oldest first: every state change and every email, with
     * who did it and why; or, with `subject` AUDIT_SUBJECT_DATA_SOURCE, every change to the
     * data source registry. Needs the `read` scope.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ListAuditEventsResponse> listAuditEvents(
        dev.privacyd.privacy.v1.ListAuditEventsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAuditEventsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns the receipt of a completed erasure: a JSON document for the compliance file that
     * proves what was erased, what was kept and why. It is written once, when the erasure
     * completes, and kept even after the request is deleted. Each call also checks the audit
     * log against the digest chain in the receipt, so an audit event changed since is detected.
     * The receipt is signed with privacyd's Ed25519 receipt key; the public keys are published
     * without a token at GET /.well-known/privacyd/receipt-keys (on the same port) so an
     * auditor can pin them and verify receipts with any Ed25519 library.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.GetErasureReceiptResponse> getErasureReceipt(
        dev.privacyd.privacy.v1.GetErasureReceiptRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetErasureReceiptMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_PRIVACY_REQUEST = 0;
  private static final int METHODID_GET_PRIVACY_REQUEST = 1;
  private static final int METHODID_LIST_PRIVACY_REQUESTS = 2;
  private static final int METHODID_COUNT_PRIVACY_REQUESTS = 3;
  private static final int METHODID_BATCH_MODIFY_PRIVACY_REQUESTS = 4;
  private static final int METHODID_GET_REQUEST_STATISTICS = 5;
  private static final int METHODID_CONFIRM_PRIVACY_REQUEST = 6;
  private static final int METHODID_RESEND_CONFIRMATION = 7;
  private static final int METHODID_PROCESS_PRIVACY_REQUEST = 8;
  private static final int METHODID_COMPLETE_PRIVACY_REQUEST = 9;
  private static final int METHODID_DENY_PRIVACY_REQUEST = 10;
  private static final int METHODID_CANCEL_PRIVACY_REQUEST = 11;
  private static final int METHODID_DELETE_PRIVACY_REQUEST = 12;
  private static final int METHODID_EXTEND_DEADLINE = 13;
  private static final int METHODID_LIST_AUDIT_EVENTS = 14;
  private static final int METHODID_WATCH_PRIVACY_REQUEST = 15;
  private static final int METHODID_DOWNLOAD_EXPORT = 16;
  private static final int METHODID_GET_ERASURE_RECEIPT = 17;

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
        case METHODID_CREATE_PRIVACY_REQUEST:
          serviceImpl.createPrivacyRequest((dev.privacyd.privacy.v1.CreatePrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CreatePrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_GET_PRIVACY_REQUEST:
          serviceImpl.getPrivacyRequest((dev.privacyd.privacy.v1.GetPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_LIST_PRIVACY_REQUESTS:
          serviceImpl.listPrivacyRequests((dev.privacyd.privacy.v1.ListPrivacyRequestsRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListPrivacyRequestsResponse>) responseObserver);
          break;
        case METHODID_COUNT_PRIVACY_REQUESTS:
          serviceImpl.countPrivacyRequests((dev.privacyd.privacy.v1.CountPrivacyRequestsRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CountPrivacyRequestsResponse>) responseObserver);
          break;
        case METHODID_BATCH_MODIFY_PRIVACY_REQUESTS:
          serviceImpl.batchModifyPrivacyRequests((dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse>) responseObserver);
          break;
        case METHODID_GET_REQUEST_STATISTICS:
          serviceImpl.getRequestStatistics((dev.privacyd.privacy.v1.GetRequestStatisticsRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetRequestStatisticsResponse>) responseObserver);
          break;
        case METHODID_CONFIRM_PRIVACY_REQUEST:
          serviceImpl.confirmPrivacyRequest((dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_RESEND_CONFIRMATION:
          serviceImpl.resendConfirmation((dev.privacyd.privacy.v1.ResendConfirmationRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ResendConfirmationResponse>) responseObserver);
          break;
        case METHODID_PROCESS_PRIVACY_REQUEST:
          serviceImpl.processPrivacyRequest((dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_COMPLETE_PRIVACY_REQUEST:
          serviceImpl.completePrivacyRequest((dev.privacyd.privacy.v1.CompletePrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CompletePrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_DENY_PRIVACY_REQUEST:
          serviceImpl.denyPrivacyRequest((dev.privacyd.privacy.v1.DenyPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DenyPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_CANCEL_PRIVACY_REQUEST:
          serviceImpl.cancelPrivacyRequest((dev.privacyd.privacy.v1.CancelPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CancelPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_DELETE_PRIVACY_REQUEST:
          serviceImpl.deletePrivacyRequest((dev.privacyd.privacy.v1.DeletePrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeletePrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_EXTEND_DEADLINE:
          serviceImpl.extendDeadline((dev.privacyd.privacy.v1.ExtendDeadlineRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ExtendDeadlineResponse>) responseObserver);
          break;
        case METHODID_LIST_AUDIT_EVENTS:
          serviceImpl.listAuditEvents((dev.privacyd.privacy.v1.ListAuditEventsRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListAuditEventsResponse>) responseObserver);
          break;
        case METHODID_WATCH_PRIVACY_REQUEST:
          serviceImpl.watchPrivacyRequest((dev.privacyd.privacy.v1.WatchPrivacyRequestRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.WatchPrivacyRequestResponse>) responseObserver);
          break;
        case METHODID_DOWNLOAD_EXPORT:
          serviceImpl.downloadExport((dev.privacyd.privacy.v1.DownloadExportRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DownloadExportResponse>) responseObserver);
          break;
        case METHODID_GET_ERASURE_RECEIPT:
          serviceImpl.getErasureReceipt((dev.privacyd.privacy.v1.GetErasureReceiptRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetErasureReceiptResponse>) responseObserver);
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
          getCreatePrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.CreatePrivacyRequestRequest,
              dev.privacyd.privacy.v1.CreatePrivacyRequestResponse>(
                service, METHODID_CREATE_PRIVACY_REQUEST)))
        .addMethod(
          getGetPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.GetPrivacyRequestRequest,
              dev.privacyd.privacy.v1.GetPrivacyRequestResponse>(
                service, METHODID_GET_PRIVACY_REQUEST)))
        .addMethod(
          getListPrivacyRequestsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ListPrivacyRequestsRequest,
              dev.privacyd.privacy.v1.ListPrivacyRequestsResponse>(
                service, METHODID_LIST_PRIVACY_REQUESTS)))
        .addMethod(
          getCountPrivacyRequestsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.CountPrivacyRequestsRequest,
              dev.privacyd.privacy.v1.CountPrivacyRequestsResponse>(
                service, METHODID_COUNT_PRIVACY_REQUESTS)))
        .addMethod(
          getBatchModifyPrivacyRequestsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsRequest,
              dev.privacyd.privacy.v1.BatchModifyPrivacyRequestsResponse>(
                service, METHODID_BATCH_MODIFY_PRIVACY_REQUESTS)))
        .addMethod(
          getGetRequestStatisticsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.GetRequestStatisticsRequest,
              dev.privacyd.privacy.v1.GetRequestStatisticsResponse>(
                service, METHODID_GET_REQUEST_STATISTICS)))
        .addMethod(
          getConfirmPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ConfirmPrivacyRequestRequest,
              dev.privacyd.privacy.v1.ConfirmPrivacyRequestResponse>(
                service, METHODID_CONFIRM_PRIVACY_REQUEST)))
        .addMethod(
          getResendConfirmationMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ResendConfirmationRequest,
              dev.privacyd.privacy.v1.ResendConfirmationResponse>(
                service, METHODID_RESEND_CONFIRMATION)))
        .addMethod(
          getProcessPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest,
              dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse>(
                service, METHODID_PROCESS_PRIVACY_REQUEST)))
        .addMethod(
          getCompletePrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.CompletePrivacyRequestRequest,
              dev.privacyd.privacy.v1.CompletePrivacyRequestResponse>(
                service, METHODID_COMPLETE_PRIVACY_REQUEST)))
        .addMethod(
          getDenyPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.DenyPrivacyRequestRequest,
              dev.privacyd.privacy.v1.DenyPrivacyRequestResponse>(
                service, METHODID_DENY_PRIVACY_REQUEST)))
        .addMethod(
          getCancelPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.CancelPrivacyRequestRequest,
              dev.privacyd.privacy.v1.CancelPrivacyRequestResponse>(
                service, METHODID_CANCEL_PRIVACY_REQUEST)))
        .addMethod(
          getDeletePrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.DeletePrivacyRequestRequest,
              dev.privacyd.privacy.v1.DeletePrivacyRequestResponse>(
                service, METHODID_DELETE_PRIVACY_REQUEST)))
        .addMethod(
          getExtendDeadlineMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ExtendDeadlineRequest,
              dev.privacyd.privacy.v1.ExtendDeadlineResponse>(
                service, METHODID_EXTEND_DEADLINE)))
        .addMethod(
          getListAuditEventsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ListAuditEventsRequest,
              dev.privacyd.privacy.v1.ListAuditEventsResponse>(
                service, METHODID_LIST_AUDIT_EVENTS)))
        .addMethod(
          getWatchPrivacyRequestMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.WatchPrivacyRequestRequest,
              dev.privacyd.privacy.v1.WatchPrivacyRequestResponse>(
                service, METHODID_WATCH_PRIVACY_REQUEST)))
        .addMethod(
          getDownloadExportMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.DownloadExportRequest,
              dev.privacyd.privacy.v1.DownloadExportResponse>(
                service, METHODID_DOWNLOAD_EXPORT)))
        .addMethod(
          getGetErasureReceiptMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.GetErasureReceiptRequest,
              dev.privacyd.privacy.v1.GetErasureReceiptResponse>(
                service, METHODID_GET_ERASURE_RECEIPT)))
        .build();
  }

  private static abstract class PrivacyRequestServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    PrivacyRequestServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.privacyd.privacy.v1.PrivacyRequestServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("PrivacyRequestService");
    }
  }

  private static final class PrivacyRequestServiceFileDescriptorSupplier
      extends PrivacyRequestServiceBaseDescriptorSupplier {
    PrivacyRequestServiceFileDescriptorSupplier() {}
  }

  private static final class PrivacyRequestServiceMethodDescriptorSupplier
      extends PrivacyRequestServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    PrivacyRequestServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (PrivacyRequestServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new PrivacyRequestServiceFileDescriptorSupplier())
              .addMethod(getCreatePrivacyRequestMethod())
              .addMethod(getGetPrivacyRequestMethod())
              .addMethod(getListPrivacyRequestsMethod())
              .addMethod(getCountPrivacyRequestsMethod())
              .addMethod(getBatchModifyPrivacyRequestsMethod())
              .addMethod(getGetRequestStatisticsMethod())
              .addMethod(getConfirmPrivacyRequestMethod())
              .addMethod(getResendConfirmationMethod())
              .addMethod(getProcessPrivacyRequestMethod())
              .addMethod(getCompletePrivacyRequestMethod())
              .addMethod(getDenyPrivacyRequestMethod())
              .addMethod(getCancelPrivacyRequestMethod())
              .addMethod(getDeletePrivacyRequestMethod())
              .addMethod(getExtendDeadlineMethod())
              .addMethod(getListAuditEventsMethod())
              .addMethod(getWatchPrivacyRequestMethod())
              .addMethod(getDownloadExportMethod())
              .addMethod(getGetErasureReceiptMethod())
              .build();
        }
      }
    }
    return result;
  }
}
