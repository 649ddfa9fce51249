// The function app on the Flex Consumption plan: its runtime, its deployment package in blob storage,
// and the app settings that connect it to storage and Application Insights through its
// user-assigned managed identity.
param name string
param location string = resourceGroup().location
param tags object = {}
@description('The azure.yaml service this app deploys; azd finds the app by this tag.')
param serviceName string = 'api'
param appServicePlanId string
param runtimeName string
param runtimeVersion string
param storageAccountName string
param deploymentStorageContainerName string
param applicationInsightsName string
@description('Resource id of the user-assigned identity.')
param identityId string
@description('Client id of the user-assigned identity.')
param identityClientId string
@description('The settings the app itself reads.')
param appSettings object = {}
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The host's own connections, all through the managed identity: AzureWebJobsStorage as an
// identity-based connection (blob only: every function is HTTP-triggered), and Application Insights
// with Entra ID (the identity has Monitoring Metrics Publisher; see rbac.bicep). The connection string
// only says where to send: without a token it is refused. The Python worker's exporter reads the same
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
var connectionSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

module api 'br/public:avm/res/web/site:0.15.1' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // The Python the app runs on, and the one Azure's remote build installs requirements.txt with
      // (Microsoft's Python build options: the build matches the production app's Python). Flex
      // Consumption takes it from here only: it has no linuxFxVersion.
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
    siteConfig: {
      alwaysOn: false
    }
    appSettingsKeyValuePairs: union(appSettings, connectionSettings)
  }
}

output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = 'https://${api.outputs.defaultHostname}'
