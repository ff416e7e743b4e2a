// For autocannon's setupClient: do not keep response bodies. autocannon appends every body to a string
// (for its expectBody option, unused here); on 15 KB tiles that was ~64 % of the load generator's CPU,
// so the benchmark measured the client, and penalised the server with the larger tiles.
module.exports = (client) => {
  client.pipelinedRequests.addBody = () => {}
}
