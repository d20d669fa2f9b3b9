<?php
/*
 * Installs the test site with WordPress's own installer (wp_install(), what wp-admin/install.php
 * runs), into the empty database named in wp-config.php. Prints {"admin_id": N}.
 */
define( 'WP_INSTALLING', true );
require __DIR__ . '/boot.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$result = wp_install( 'privacyd test site', 'admin', 'admin@wordpress.test', false, '', 'admin-password-for-tests' );
if ( is_wp_error( $result ) || empty( $result['user_id'] ) ) {
	fwrite( STDERR, "wp_install failed\n" );
	exit( 1 );
}
echo wp_json_encode( array( 'admin_id' => (int) $result['user_id'] ) ), "\n";
