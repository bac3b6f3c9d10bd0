/**
 * How a client describes a Dyvmsapi call to Alibaba's generic OpenAPI clients (`callApi` with RPC
 * style), exactly as the generated Dyvmsapi SDK does; both `@alicloud/openapi-core` and
 * `@alicloud/openapi-client` take these fields.
 */
export function dyvmsapiRpcFields(action: string) {
  return {
    action,
    version: '2017-05-25',
    protocol: 'HTTP',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  };
}
