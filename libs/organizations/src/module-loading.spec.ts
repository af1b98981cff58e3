/**
 * libs/auth depends on OrganizationsModule while the administration controllers here use
 * libs/auth's decorators. That cycle works only because of the order of the two index files;
 * these tests load each side first and fail if a reordering breaks it.
 */
describe('loading @app/organizations and @app/auth', () => {
  it.each(['@app/auth', '@app/organizations'])('works when %s is loaded first', (first) => {
    jest.isolateModules(() => {
      jest.requireActual(first);
      const organizations = jest.requireActual<Record<string, unknown>>('@app/organizations');
      const auth = jest.requireActual<Record<string, unknown>>('@app/auth');
      expect(organizations.OrganizationsAdminModule).toBeDefined();
      expect(organizations.OrganizationsModule).toBeDefined();
      expect(auth.AuthModule).toBeDefined();
      expect(auth.RequirePermission).toBeDefined();
    });
  });
});
