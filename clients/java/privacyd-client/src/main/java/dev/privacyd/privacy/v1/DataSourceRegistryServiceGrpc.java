package dev.privacyd.privacy.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * DataSourceRegistryService is where operators tell privacyd which services hold personal
 * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
 * privacyd calls it to export and erase a subject's data. Every method needs an admin token
 * (`authorization: Bearer &lt;token&gt;`).
 * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
 * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
 * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
 * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
 * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
 * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
 * with that name exists), NOT_FOUND (no source with that name).
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class DataSourceRegistryServiceGrpc {

  private DataSourceRegistryServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "privacy.v1.DataSourceRegistryService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.RegisterDataSourceRequest,
      dev.privacyd.privacy.v1.RegisterDataSourceResponse> getRegisterDataSourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RegisterDataSource",
      requestType = dev.privacyd.privacy.v1.RegisterDataSourceRequest.class,
      responseType = dev.privacyd.privacy.v1.RegisterDataSourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.RegisterDataSourceRequest,
      dev.privacyd.privacy.v1.RegisterDataSourceResponse> getRegisterDataSourceMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.RegisterDataSourceRequest, dev.privacyd.privacy.v1.RegisterDataSourceResponse> getRegisterDataSourceMethod;
    if ((getRegisterDataSourceMethod = DataSourceRegistryServiceGrpc.getRegisterDataSourceMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getRegisterDataSourceMethod = DataSourceRegistryServiceGrpc.getRegisterDataSourceMethod) == null) {
          DataSourceRegistryServiceGrpc.getRegisterDataSourceMethod = getRegisterDataSourceMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.RegisterDataSourceRequest, dev.privacyd.privacy.v1.RegisterDataSourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RegisterDataSource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.RegisterDataSourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.RegisterDataSourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("RegisterDataSource"))
              .build();
        }
      }
    }
    return getRegisterDataSourceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetDataSourceRequest,
      dev.privacyd.privacy.v1.GetDataSourceResponse> getGetDataSourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetDataSource",
      requestType = dev.privacyd.privacy.v1.GetDataSourceRequest.class,
      responseType = dev.privacyd.privacy.v1.GetDataSourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetDataSourceRequest,
      dev.privacyd.privacy.v1.GetDataSourceResponse> getGetDataSourceMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.GetDataSourceRequest, dev.privacyd.privacy.v1.GetDataSourceResponse> getGetDataSourceMethod;
    if ((getGetDataSourceMethod = DataSourceRegistryServiceGrpc.getGetDataSourceMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getGetDataSourceMethod = DataSourceRegistryServiceGrpc.getGetDataSourceMethod) == null) {
          DataSourceRegistryServiceGrpc.getGetDataSourceMethod = getGetDataSourceMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.GetDataSourceRequest, dev.privacyd.privacy.v1.GetDataSourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetDataSource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetDataSourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.GetDataSourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("GetDataSource"))
              .build();
        }
      }
    }
    return getGetDataSourceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListDataSourcesRequest,
      dev.privacyd.privacy.v1.ListDataSourcesResponse> getListDataSourcesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListDataSources",
      requestType = dev.privacyd.privacy.v1.ListDataSourcesRequest.class,
      responseType = dev.privacyd.privacy.v1.ListDataSourcesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListDataSourcesRequest,
      dev.privacyd.privacy.v1.ListDataSourcesResponse> getListDataSourcesMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.ListDataSourcesRequest, dev.privacyd.privacy.v1.ListDataSourcesResponse> getListDataSourcesMethod;
    if ((getListDataSourcesMethod = DataSourceRegistryServiceGrpc.getListDataSourcesMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getListDataSourcesMethod = DataSourceRegistryServiceGrpc.getListDataSourcesMethod) == null) {
          DataSourceRegistryServiceGrpc.getListDataSourcesMethod = getListDataSourcesMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.ListDataSourcesRequest, dev.privacyd.privacy.v1.ListDataSourcesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListDataSources"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListDataSourcesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.ListDataSourcesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("ListDataSources"))
              .build();
        }
      }
    }
    return getListDataSourcesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.UpdateDataSourceRequest,
      dev.privacyd.privacy.v1.UpdateDataSourceResponse> getUpdateDataSourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateDataSource",
      requestType = dev.privacyd.privacy.v1.UpdateDataSourceRequest.class,
      responseType = dev.privacyd.privacy.v1.UpdateDataSourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.UpdateDataSourceRequest,
      dev.privacyd.privacy.v1.UpdateDataSourceResponse> getUpdateDataSourceMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.UpdateDataSourceRequest, dev.privacyd.privacy.v1.UpdateDataSourceResponse> getUpdateDataSourceMethod;
    if ((getUpdateDataSourceMethod = DataSourceRegistryServiceGrpc.getUpdateDataSourceMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getUpdateDataSourceMethod = DataSourceRegistryServiceGrpc.getUpdateDataSourceMethod) == null) {
          DataSourceRegistryServiceGrpc.getUpdateDataSourceMethod = getUpdateDataSourceMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.UpdateDataSourceRequest, dev.privacyd.privacy.v1.UpdateDataSourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateDataSource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.UpdateDataSourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.UpdateDataSourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("UpdateDataSource"))
              .build();
        }
      }
    }
    return getUpdateDataSourceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeleteDataSourceRequest,
      dev.privacyd.privacy.v1.DeleteDataSourceResponse> getDeleteDataSourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteDataSource",
      requestType = dev.privacyd.privacy.v1.DeleteDataSourceRequest.class,
      responseType = dev.privacyd.privacy.v1.DeleteDataSourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeleteDataSourceRequest,
      dev.privacyd.privacy.v1.DeleteDataSourceResponse> getDeleteDataSourceMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.DeleteDataSourceRequest, dev.privacyd.privacy.v1.DeleteDataSourceResponse> getDeleteDataSourceMethod;
    if ((getDeleteDataSourceMethod = DataSourceRegistryServiceGrpc.getDeleteDataSourceMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getDeleteDataSourceMethod = DataSourceRegistryServiceGrpc.getDeleteDataSourceMethod) == null) {
          DataSourceRegistryServiceGrpc.getDeleteDataSourceMethod = getDeleteDataSourceMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.DeleteDataSourceRequest, dev.privacyd.privacy.v1.DeleteDataSourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteDataSource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DeleteDataSourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.DeleteDataSourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("DeleteDataSource"))
              .build();
        }
      }
    }
    return getDeleteDataSourceMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CheckDataSourceRequest,
      dev.privacyd.privacy.v1.CheckDataSourceResponse> getCheckDataSourceMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckDataSource",
      requestType = dev.privacyd.privacy.v1.CheckDataSourceRequest.class,
      responseType = dev.privacyd.privacy.v1.CheckDataSourceResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CheckDataSourceRequest,
      dev.privacyd.privacy.v1.CheckDataSourceResponse> getCheckDataSourceMethod() {
    io.grpc.MethodDescriptor<dev.privacyd.privacy.v1.CheckDataSourceRequest, dev.privacyd.privacy.v1.CheckDataSourceResponse> getCheckDataSourceMethod;
    if ((getCheckDataSourceMethod = DataSourceRegistryServiceGrpc.getCheckDataSourceMethod) == null) {
      synchronized (DataSourceRegistryServiceGrpc.class) {
        if ((getCheckDataSourceMethod = DataSourceRegistryServiceGrpc.getCheckDataSourceMethod) == null) {
          DataSourceRegistryServiceGrpc.getCheckDataSourceMethod = getCheckDataSourceMethod =
              io.grpc.MethodDescriptor.<dev.privacyd.privacy.v1.CheckDataSourceRequest, dev.privacyd.privacy.v1.CheckDataSourceResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckDataSource"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CheckDataSourceRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.privacyd.privacy.v1.CheckDataSourceResponse.getDefaultInstance()))
              .setSchemaDescriptor(new DataSourceRegistryServiceMethodDescriptorSupplier("CheckDataSource"))
              .build();
        }
      }
    }
    return getCheckDataSourceMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static DataSourceRegistryServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceStub>() {
        @java.lang.Override
        public DataSourceRegistryServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceRegistryServiceStub(channel, callOptions);
        }
      };
    return DataSourceRegistryServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static DataSourceRegistryServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceBlockingV2Stub>() {
        @java.lang.Override
        public DataSourceRegistryServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceRegistryServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return DataSourceRegistryServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static DataSourceRegistryServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceBlockingStub>() {
        @java.lang.Override
        public DataSourceRegistryServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceRegistryServiceBlockingStub(channel, callOptions);
        }
      };
    return DataSourceRegistryServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static DataSourceRegistryServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<DataSourceRegistryServiceFutureStub>() {
        @java.lang.Override
        public DataSourceRegistryServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new DataSourceRegistryServiceFutureStub(channel, callOptions);
        }
      };
    return DataSourceRegistryServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Registers a data source. privacyd first calls its `Describe`, checks that it speaks
     * protocol version 1, and stores the capabilities and the processing information it
     * declares; a source that cannot be reached is not registered.
     * </pre>
     */
    default void registerDataSource(dev.privacyd.privacy.v1.RegisterDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.RegisterDataSourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRegisterDataSourceMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one registered data source.
     * </pre>
     */
    default void getDataSource(dev.privacyd.privacy.v1.GetDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetDataSourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetDataSourceMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists registered data sources by name.
     * </pre>
     */
    default void listDataSources(dev.privacyd.privacy.v1.ListDataSourcesRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListDataSourcesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListDataSourcesMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes a data source's connection settings or enables/disables it. When the endpoint or
     * TLS settings change, privacyd calls `Describe` again before saving.
     * A stored bearer token belongs to the address it was given for. Changing `endpoint`, `tls`
     * or `ca_cert_pem` of a source that has a token therefore needs `auth_token` in the same
     * call (the token for the new address, or "" for none); without it the call fails with
     * INVALID_ARGUMENT, reason AUTH_TOKEN_REQUIRED, metadata `field` = "auth_token" and
     * `changed_fields` naming what changed, and nothing is sent to the new address (as curl and
     * the Fetch standard drop `Authorization` on a change of origin).
     * </pre>
     */
    default void updateDataSource(dev.privacyd.privacy.v1.UpdateDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.UpdateDataSourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateDataSourceMethod(), responseObserver);
    }

    /**
     * <pre>
     * Removes a data source. Requests already being processed finish without it.
     * </pre>
     */
    default void deleteDataSource(dev.privacyd.privacy.v1.DeleteDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeleteDataSourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteDataSourceMethod(), responseObserver);
    }

    /**
     * <pre>
     * Calls the source now: its grpc.health.v1 status and a fresh `Describe`.
     * </pre>
     */
    default void checkDataSource(dev.privacyd.privacy.v1.CheckDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CheckDataSourceResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckDataSourceMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service DataSourceRegistryService.
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public static abstract class DataSourceRegistryServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return DataSourceRegistryServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service DataSourceRegistryService.
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public static final class DataSourceRegistryServiceStub
      extends io.grpc.stub.AbstractAsyncStub<DataSourceRegistryServiceStub> {
    private DataSourceRegistryServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceRegistryServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceRegistryServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Registers a data source. privacyd first calls its `Describe`, checks that it speaks
     * protocol version 1, and stores the capabilities and the processing information it
     * declares; a source that cannot be reached is not registered.
     * </pre>
     */
    public void registerDataSource(dev.privacyd.privacy.v1.RegisterDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.RegisterDataSourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRegisterDataSourceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one registered data source.
     * </pre>
     */
    public void getDataSource(dev.privacyd.privacy.v1.GetDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetDataSourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetDataSourceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists registered data sources by name.
     * </pre>
     */
    public void listDataSources(dev.privacyd.privacy.v1.ListDataSourcesRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListDataSourcesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListDataSourcesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes a data source's connection settings or enables/disables it. When the endpoint or
     * TLS settings change, privacyd calls `Describe` again before saving.
     * A stored bearer token belongs to the address it was given for. Changing `endpoint`, `tls`
     * or `ca_cert_pem` of a source that has a token therefore needs `auth_token` in the same
     * call (the token for the new address, or "" for none); without it the call fails with
     * INVALID_ARGUMENT, reason AUTH_TOKEN_REQUIRED, metadata `field` = "auth_token" and
     * `changed_fields` naming what changed, and nothing is sent to the new address (as curl and
     * the Fetch standard drop `Authorization` on a change of origin).
     * </pre>
     */
    public void updateDataSource(dev.privacyd.privacy.v1.UpdateDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.UpdateDataSourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateDataSourceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Removes a data source. Requests already being processed finish without it.
     * </pre>
     */
    public void deleteDataSource(dev.privacyd.privacy.v1.DeleteDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeleteDataSourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteDataSourceMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Calls the source now: its grpc.health.v1 status and a fresh `Describe`.
     * </pre>
     */
    public void checkDataSource(dev.privacyd.privacy.v1.CheckDataSourceRequest request,
        io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CheckDataSourceResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCheckDataSourceMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service DataSourceRegistryService.
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public static final class DataSourceRegistryServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<DataSourceRegistryServiceBlockingV2Stub> {
    private DataSourceRegistryServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceRegistryServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceRegistryServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Registers a data source. privacyd first calls its `Describe`, checks that it speaks
     * protocol version 1, and stores the capabilities and the processing information it
     * declares; a source that cannot be reached is not registered.
     * </pre>
     */
    public dev.privacyd.privacy.v1.RegisterDataSourceResponse registerDataSource(dev.privacyd.privacy.v1.RegisterDataSourceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRegisterDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one registered data source.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetDataSourceResponse getDataSource(dev.privacyd.privacy.v1.GetDataSourceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists registered data sources by name.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListDataSourcesResponse listDataSources(dev.privacyd.privacy.v1.ListDataSourcesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListDataSourcesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a data source's connection settings or enables/disables it. When the endpoint or
     * TLS settings change, privacyd calls `Describe` again before saving.
     * A stored bearer token belongs to the address it was given for. Changing `endpoint`, `tls`
     * or `ca_cert_pem` of a source that has a token therefore needs `auth_token` in the same
     * call (the token for the new address, or "" for none); without it the call fails with
     * INVALID_ARGUMENT, reason AUTH_TOKEN_REQUIRED, metadata `field` = "auth_token" and
     * `changed_fields` naming what changed, and nothing is sent to the new address (as curl and
     * the Fetch standard drop `Authorization` on a change of origin).
     * </pre>
     */
    public dev.privacyd.privacy.v1.UpdateDataSourceResponse updateDataSource(dev.privacyd.privacy.v1.UpdateDataSourceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getUpdateDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes a data source. Requests already being processed finish without it.
     * </pre>
     */
    public dev.privacyd.privacy.v1.DeleteDataSourceResponse deleteDataSource(dev.privacyd.privacy.v1.DeleteDataSourceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Calls the source now: its grpc.health.v1 status and a fresh `Describe`.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CheckDataSourceResponse checkDataSource(dev.privacyd.privacy.v1.CheckDataSourceRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCheckDataSourceMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service DataSourceRegistryService.
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public static final class DataSourceRegistryServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<DataSourceRegistryServiceBlockingStub> {
    private DataSourceRegistryServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceRegistryServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceRegistryServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Registers a data source. privacyd first calls its `Describe`, checks that it speaks
     * protocol version 1, and stores the capabilities and the processing information it
     * declares; a source that cannot be reached is not registered.
     * </pre>
     */
    public dev.privacyd.privacy.v1.RegisterDataSourceResponse registerDataSource(dev.privacyd.privacy.v1.RegisterDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRegisterDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one registered data source.
     * </pre>
     */
    public dev.privacyd.privacy.v1.GetDataSourceResponse getDataSource(dev.privacyd.privacy.v1.GetDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists registered data sources by name.
     * </pre>
     */
    public dev.privacyd.privacy.v1.ListDataSourcesResponse listDataSources(dev.privacyd.privacy.v1.ListDataSourcesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListDataSourcesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a data source's connection settings or enables/disables it. When the endpoint or
     * TLS settings change, privacyd calls `Describe` again before saving.
     * A stored bearer token belongs to the address it was given for. Changing `endpoint`, `tls`
     * or `ca_cert_pem` of a source that has a token therefore needs `auth_token` in the same
     * call (the token for the new address, or "" for none); without it the call fails with
     * INVALID_ARGUMENT, reason AUTH_TOKEN_REQUIRED, metadata `field` = "auth_token" and
     * `changed_fields` naming what changed, and nothing is sent to the new address (as curl and
     * the Fetch standard drop `Authorization` on a change of origin).
     * </pre>
     */
    public dev.privacyd.privacy.v1.UpdateDataSourceResponse updateDataSource(dev.privacyd.privacy.v1.UpdateDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes a data source. Requests already being processed finish without it.
     * </pre>
     */
    public dev.privacyd.privacy.v1.DeleteDataSourceResponse deleteDataSource(dev.privacyd.privacy.v1.DeleteDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteDataSourceMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Calls the source now: its grpc.health.v1 status and a fresh `Describe`.
     * </pre>
     */
    public dev.privacyd.privacy.v1.CheckDataSourceResponse checkDataSource(dev.privacyd.privacy.v1.CheckDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCheckDataSourceMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service DataSourceRegistryService.
   * <pre>
   * DataSourceRegistryService is where operators tell privacyd which services hold personal
   * data. Each registered data source implements `privacy.datasource.v1.DataSourceService`;
   * privacyd calls it to export and erase a subject's data. Every method needs an admin token
   * (`authorization: Bearer &lt;token&gt;`).
   * Errors carry a `google.rpc.ErrorInfo` with domain "privacyd" and a stable reason, as in
   * PrivacyRequestService; in addition: SOURCE_UNREACHABLE (FAILED_PRECONDITION: the source did
   * not answer Describe; the message has its gRPC code), UNSUPPORTED_PROTOCOL_VERSION
   * (FAILED_PRECONDITION: the source speaks a protocol version privacyd does not),
   * INVALID_DESCRIPTION (FAILED_PRECONDITION: Describe answered, but without capabilities, or
   * with a category lacking a group_id or label, or declared twice), ALREADY_EXISTS (a source
   * with that name exists), NOT_FOUND (no source with that name).
   * </pre>
   */
  public static final class DataSourceRegistryServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<DataSourceRegistryServiceFutureStub> {
    private DataSourceRegistryServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected DataSourceRegistryServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new DataSourceRegistryServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Registers a data source. privacyd first calls its `Describe`, checks that it speaks
     * protocol version 1, and stores the capabilities and the processing information it
     * declares; a source that cannot be reached is not registered.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.RegisterDataSourceResponse> registerDataSource(
        dev.privacyd.privacy.v1.RegisterDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRegisterDataSourceMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one registered data source.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.GetDataSourceResponse> getDataSource(
        dev.privacyd.privacy.v1.GetDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetDataSourceMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists registered data sources by name.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.ListDataSourcesResponse> listDataSources(
        dev.privacyd.privacy.v1.ListDataSourcesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListDataSourcesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes a data source's connection settings or enables/disables it. When the endpoint or
     * TLS settings change, privacyd calls `Describe` again before saving.
     * A stored bearer token belongs to the address it was given for. Changing `endpoint`, `tls`
     * or `ca_cert_pem` of a source that has a token therefore needs `auth_token` in the same
     * call (the token for the new address, or "" for none); without it the call fails with
     * INVALID_ARGUMENT, reason AUTH_TOKEN_REQUIRED, metadata `field` = "auth_token" and
     * `changed_fields` naming what changed, and nothing is sent to the new address (as curl and
     * the Fetch standard drop `Authorization` on a change of origin).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.UpdateDataSourceResponse> updateDataSource(
        dev.privacyd.privacy.v1.UpdateDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateDataSourceMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Removes a data source. Requests already being processed finish without it.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.DeleteDataSourceResponse> deleteDataSource(
        dev.privacyd.privacy.v1.DeleteDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteDataSourceMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Calls the source now: its grpc.health.v1 status and a fresh `Describe`.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.privacyd.privacy.v1.CheckDataSourceResponse> checkDataSource(
        dev.privacyd.privacy.v1.CheckDataSourceRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckDataSourceMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_REGISTER_DATA_SOURCE = 0;
  private static final int METHODID_GET_DATA_SOURCE = 1;
  private static final int METHODID_LIST_DATA_SOURCES = 2;
  private static final int METHODID_UPDATE_DATA_SOURCE = 3;
  private static final int METHODID_DELETE_DATA_SOURCE = 4;
  private static final int METHODID_CHECK_DATA_SOURCE = 5;

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
        case METHODID_REGISTER_DATA_SOURCE:
          serviceImpl.registerDataSource((dev.privacyd.privacy.v1.RegisterDataSourceRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.RegisterDataSourceResponse>) responseObserver);
          break;
        case METHODID_GET_DATA_SOURCE:
          serviceImpl.getDataSource((dev.privacyd.privacy.v1.GetDataSourceRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.GetDataSourceResponse>) responseObserver);
          break;
        case METHODID_LIST_DATA_SOURCES:
          serviceImpl.listDataSources((dev.privacyd.privacy.v1.ListDataSourcesRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.ListDataSourcesResponse>) responseObserver);
          break;
        case METHODID_UPDATE_DATA_SOURCE:
          serviceImpl.updateDataSource((dev.privacyd.privacy.v1.UpdateDataSourceRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.UpdateDataSourceResponse>) responseObserver);
          break;
        case METHODID_DELETE_DATA_SOURCE:
          serviceImpl.deleteDataSource((dev.privacyd.privacy.v1.DeleteDataSourceRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.DeleteDataSourceResponse>) responseObserver);
          break;
        case METHODID_CHECK_DATA_SOURCE:
          serviceImpl.checkDataSource((dev.privacyd.privacy.v1.CheckDataSourceRequest) request,
              (io.grpc.stub.StreamObserver<dev.privacyd.privacy.v1.CheckDataSourceResponse>) responseObserver);
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
          getRegisterDataSourceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.RegisterDataSourceRequest,
              dev.privacyd.privacy.v1.RegisterDataSourceResponse>(
                service, METHODID_REGISTER_DATA_SOURCE)))
        .addMethod(
          getGetDataSourceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.GetDataSourceRequest,
              dev.privacyd.privacy.v1.GetDataSourceResponse>(
                service, METHODID_GET_DATA_SOURCE)))
        .addMethod(
          getListDataSourcesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.ListDataSourcesRequest,
              dev.privacyd.privacy.v1.ListDataSourcesResponse>(
                service, METHODID_LIST_DATA_SOURCES)))
        .addMethod(
          getUpdateDataSourceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.UpdateDataSourceRequest,
              dev.privacyd.privacy.v1.UpdateDataSourceResponse>(
                service, METHODID_UPDATE_DATA_SOURCE)))
        .addMethod(
          getDeleteDataSourceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.DeleteDataSourceRequest,
              dev.privacyd.privacy.v1.DeleteDataSourceResponse>(
                service, METHODID_DELETE_DATA_SOURCE)))
        .addMethod(
          getCheckDataSourceMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.privacyd.privacy.v1.CheckDataSourceRequest,
              dev.privacyd.privacy.v1.CheckDataSourceResponse>(
                service, METHODID_CHECK_DATA_SOURCE)))
        .build();
  }

  private static abstract class DataSourceRegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    DataSourceRegistryServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.privacyd.privacy.v1.DataSourceRegistryServiceOuterClass.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("DataSourceRegistryService");
    }
  }

  private static final class DataSourceRegistryServiceFileDescriptorSupplier
      extends DataSourceRegistryServiceBaseDescriptorSupplier {
    DataSourceRegistryServiceFileDescriptorSupplier() {}
  }

  private static final class DataSourceRegistryServiceMethodDescriptorSupplier
      extends DataSourceRegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    DataSourceRegistryServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (DataSourceRegistryServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new DataSourceRegistryServiceFileDescriptorSupplier())
              .addMethod(getRegisterDataSourceMethod())
              .addMethod(getGetDataSourceMethod())
              .addMethod(getListDataSourcesMethod())
              .addMethod(getUpdateDataSourceMethod())
              .addMethod(getDeleteDataSourceMethod())
              .addMethod(getCheckDataSourceMethod())
              .build();
        }
      }
    }
    return result;
  }
}
