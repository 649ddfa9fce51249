// The echo service on Azure Functions (Flex Consumption), with the timer worker extension on and its
// OpenTelemetry metrics going to Application Insights. `azd up` provisions this and deploys the app.
// No key or connection secret anywhere: the app reaches its storage and Application Insights with a
// user-assigned managed identity (app/rbac.bicep gives it the roles).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group and seeds the unique token in every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource; azd offers only those listed, where the Flex Consumption plan runs.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Who says the echoed text: answers read "<characterName> said ...". `azd env set CHARACTER_NAME Bob` changes it.')
param characterName string = 'I'

param apiServiceName string = ''
param apiUserAssignedIdentityName string = ''
param applicationInsightsName string = ''
param appServicePlanName string = ''
param logAnalyticsName string = ''
param resourceGroupName string = ''
param storageAccountName string = ''

// Python 3.12: the newest Python whose Functions worker runs worker extensions. The 3.13+ worker
// (azure-functions-runtime) calls no extension hooks at all, so the timer would fall back to @timed
// there and PYTHON_ENABLE_WORKER_EXTENSIONS would do nothing. It is stated explicitly, never left to a
// default: functionAppConfig.runtime.version (app/api.bicep) is both the app's Python and the one the
// remote build installs requirements.txt with. requirements.lock covers 3.10-3.13 and installs
// azure-monitor-opentelemetry on each, so the telemetry does not depend on which one it is.
var pythonVersion = '3.12'

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = !empty(apiServiceName) ? apiServiceName : '${abbrs.webSitesFunctions}api-${resourceToken}'
// The blob container the platform deploys the app's package from.
var deploymentStorageContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The identity the function app uses for its storage, its deployment package and Application Insights.
module apiUserAssignedIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiUserAssignedIdentity'
  scope: rg
  params: {
    name: !empty(apiUserAssignedIdentityName) ? apiUserAssignedIdentityName : '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appserviceplan'
  scope: rg
  params: {
    name: !empty(appServicePlanName) ? appServicePlanName : '${abbrs.webServerFarms}${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    runtimeName: 'python'
    runtimeVersion: pythonVersion
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: apiUserAssignedIdentity.outputs.resourceId
    identityClientId: apiUserAssignedIdentity.outputs.clientId
    // What the app itself reads; api.bicep adds the storage and Application Insights connections.
    appSettings: {
      // The worker runs the timer's hooks (python_worker_extension_timer) on every invocation.
      PYTHON_ENABLE_WORKER_EXTENSIONS: '1'
      // The worker calls configure_azure_monitor(), so the timer's OpenTelemetry instruments
      // (faas.invoke_duration, faas.invocations, faas.errors, ...) reach Application Insights. Workers
      // since Azure/azure-functions-python-worker#1621 (and the 3.13+ worker) read the first setting;
      // older 4.x workers (4.34 and before) read only the second, which the newer ones take as "trace
      // context only". Both on: the exporter is configured once by whichever worker runs.
      PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
      PYTHON_ENABLE_OPENTELEMETRY: 'true'
      // Which logger's records become traces (the same setting under the newer and the older name).
      // The default, the root logger, also sends the exporter's own upload logs (which it then uploads
      // again) and the worker's INFO line for every call. The app logs only through the timer's logger:
      // its cold-start line and its warnings.
      PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME: 'python_worker_extension_timer'
      PYTHON_AZURE_MONITOR_LOGGER_NAME: 'python_worker_extension_timer'
      CHARACTER_NAME: characterName
    }
  }
}

// The host's storage and the deployment container. Shared keys are off: only Entra ID (the app's
// managed identity) can reach it.
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentStorageContainerName
        }
      ]
    }
    minimumTlsVersion: 'TLS1_2'
    location: location
    tags: tags
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    managedIdentityPrincipalId: apiUserAssignedIdentity.outputs.principalId
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.7.0' = {
  name: '${uniqueString(deployment().name, location)}-loganalytics'
  scope: rg
  params: {
    name: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

// Application Insights accepts Entra ID only (no instrumentation-key ingestion).
module monitoring 'br/public:avm/res/insights/component:0.4.1' = {
  name: '${uniqueString(deployment().name, location)}-appinsights'
  scope: rg
  params: {
    name: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

// `azd env get-values` prints these.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_URI string = api.outputs.SERVICE_API_URI
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
