// Spillway's mock Azure OpenAI fleet on Azure Container Apps, for an API Management in Azure to
// call (docs/real-apim.md walks through it). One container app, one replica: the fleet's
// ledger lives in the replica's memory, so a second replica would answer half the requests
// into a ledger nobody reads.
//
// Held to the image's contract (port, environment variables, the token as a secret) by
// deploy/fleet/fleet-contract.test.ts; the Bicep compiler is not run by the tests, so check a
// change with `az bicep build --file deploy/fleet/fleet.bicep` too.

@description('Name of the container app; its address is https://<name>.<environment default domain>.')
param name string = 'spillway-fleet'

@description('Region of the Container Apps environment and app.')
param location string = resourceGroup().location

@description('The fleet image, e.g. myregistry.azurecr.io/spillway-fleet:0.1.0 (built from deploy/fleet/Dockerfile).')
param image string

@description('The control API token (16 characters or more). Callers send Authorization: Bearer <token>.')
@secure()
@minLength(16)
param controlToken string

@description('A fleet topology (the JSON of mocks/aoai/default-topology.json\'s shape); empty: the image\'s default topology.')
param topology object = {}

@description('Registry server for a private image (e.g. myregistry.azurecr.io); empty for a public image.')
param registryServer string = ''

@description('Registry user name (for Azure Container Registry: its admin user, or a token name).')
param registryUsername string = ''

@description('Registry password for registryUsername.')
@secure()
param registryPassword string = ''

var privateRegistry = !empty(registryServer)
var customTopology = !empty(topology)
var tokenSecrets = [{ name: 'control-token', value: controlToken }]
// A topology may list the api-keys its backends accept, so it is kept as a secret too.
var topologySecrets = customTopology ? [{ name: 'topology', value: string(topology) }] : []
var registrySecrets = privateRegistry ? [{ name: 'registry-password', value: registryPassword }] : []
var topologyEnv = customTopology ? [{ name: 'SPILLWAY_FLEET_TOPOLOGY_JSON', secretRef: 'topology' }] : []

resource fleetEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${name}-env'
  location: location
  properties: {}
}

resource fleet 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  properties: {
    managedEnvironmentId: fleetEnvironment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 8080
        transport: 'http'
        allowInsecure: false
      }
      secrets: concat(tokenSecrets, topologySecrets, registrySecrets)
      registries: privateRegistry ? [{ server: registryServer, username: registryUsername, passwordSecretRef: 'registry-password' }] : []
    }
    template: {
      containers: [
        {
          name: 'fleet'
          image: image
          resources: {
            cpu: json('1.0')
            memory: '2Gi'
          }
          env: concat([
            { name: 'SPILLWAY_CONTROL_TOKEN', secretRef: 'control-token' }
            { name: 'SPILLWAY_FLEET_PUBLIC_URL', value: 'https://${name}.${fleetEnvironment.properties.defaultDomain}' }
          ], topologyEnv)
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: 1
      }
    }
  }
}

@description('The fleet\'s base URL: the control API, and each backend at /backends/<name>.')
output fleetUrl string = 'https://${fleet.properties.configuration.ingress.fqdn}'
