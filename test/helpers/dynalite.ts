import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { replayTableDefinition } from '@sealwire/dynamodb'

const require = createRequire(import.meta.url)

/** Credentials dynalite accepts (it checks their shape, not their value). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' }

/**
 * A real DynamoDB API on a free loopback port: dynalite (DynamoDB's wire
 * protocol and condition expressions on an in-memory LevelDB), in this
 * process. It has no TTL sweeper, which suits the tests: an expired item
 * stays readable, as it does in DynamoDB until its lazy deletion.
 */
export class LocalDynamo {
  readonly endpoint: string
  readonly #server: Server

  private constructor(server: Server) {
    this.#server = server
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  static async start(): Promise<LocalDynamo> {
    const dynalite = require('dynalite') as (options: { createTableMs: number }) => Server
    const server = dynalite({ createTableMs: 0 })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    return new LocalDynamo(server)
  }

  /** A client of this endpoint, as an app makes one (region and credentials given, so nothing is looked up). */
  client(config: DynamoDBClientConfig = {}): DynamoDBClient {
    return new DynamoDBClient({ endpoint: this.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, ...config })
  }

  /** Creates a replay table as `replayTableDefinition` describes it (dynalite has no TTL API: that part is DynamoDB's). */
  async createReplayTable(tableName: string): Promise<void> {
    const client = this.client()
    try {
      await client.send(new CreateTableCommand(replayTableDefinition(tableName).createTable))
      // CREATING, then ACTIVE (createTableMs 0: within a tick or two); writes before that fail.
      for (let i = 0; i < 100; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }))
        if (Table?.TableStatus === 'ACTIVE') return
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      throw new Error(`table ${tableName} did not become ACTIVE`)
    } finally {
      client.destroy()
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeAllConnections?.()
    })
  }
}
