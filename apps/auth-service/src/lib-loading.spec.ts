const FEATURE_LIBS: Array<[string, string]> = [
  ['@app/audit', 'AuditApiModule'],
  ['@app/auth', 'AuthModule'],
  ['@app/organizations', 'OrganizationsAdminModule'],
  ['@app/teams', 'TeamsModule'],
  ['@app/users', 'UsersModule'],
];

/**
 * Feature libs depend on each other in one direction only, and route decorators live in
 * @app/common, so whichever lib Node loads first, every module class is defined when Nest
 * reads it. A cycle between two libs would leave one of them undefined here.
 */
describe('feature libraries', () => {
  it.each(FEATURE_LIBS)('%s loads first with all its exports defined', (lib, moduleName) => {
    jest.isolateModules(() => {
      const loaded = jest.requireActual<Record<string, unknown>>(lib);
      expect(loaded[moduleName]).toBeDefined();
      for (const [other, otherModule] of FEATURE_LIBS) {
        expect(jest.requireActual<Record<string, unknown>>(other)[otherModule]).toBeDefined();
      }
    });
  });
});
