// kafkajs's request queue, reached for one fix (see idle-request-queue.ts); it has no types.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: unknown;
  export default RequestQueue;
}
