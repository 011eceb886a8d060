<?xml version='1.0'?>
<!--
	Renders the module documentation to the XHTML that lynx turns into the
	README, with the settings Kamailio uses for module READMEs
	(doc/docbook/readme.xsl, txt.xsl and common.xsl in its source tree).
	The docbook-xsl URI is resolved to the local copy through the XML
	catalog (/etc/xml/catalog); the Makefile forbids network access.
-->
<xsl:stylesheet
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">

	<xsl:import href="http://docbook.sourceforge.net/release/xsl/current/xhtml/docbook.xsl"/>

	<xsl:output method="xml" encoding="UTF-8"/>

	<xsl:param name="section.autolabel">1</xsl:param>
	<xsl:param name="section.label.includes.component.label">1</xsl:param>
	<xsl:param name="generate.toc">book toc,title,figure,table,example</xsl:param>
	<xsl:param name="toc.section.depth">4</xsl:param>
	<xsl:param name="generate.section.toc.level">1</xsl:param>
	<xsl:param name="html.cleanup" select="1"/>
	<xsl:param name="css.decoration">0</xsl:param>
	<xsl:param name="html.longdesc">0</xsl:param>
	<xsl:param name="ulink.target"/>
	<xsl:param name="use.viewport">0</xsl:param>
	<!-- no generator meta tag, nothing that depends on the build host -->
	<xsl:template name="head.content.generator"/>

	<!-- Listings: drop the line breaks that open them and the white space
	     that ends them, so the XML source can be indented freely. -->
	<xsl:template match="screen/text()|literallayout/text()|programlisting/text()">
		<xsl:variable name="left">
			<xsl:choose>
				<xsl:when test="count(preceding-sibling::node()) = 0">
					<xsl:call-template name="trim-lf-left">
						<xsl:with-param name="s" select="."/>
					</xsl:call-template>
				</xsl:when>
				<xsl:otherwise>
					<xsl:value-of select="."/>
				</xsl:otherwise>
			</xsl:choose>
		</xsl:variable>
		<xsl:choose>
			<xsl:when test="count(following-sibling::node()) = 0">
				<xsl:call-template name="trim-ws-right">
					<xsl:with-param name="s" select="$left"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$left"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template name="trim-lf-left">
		<xsl:param name="s"/>
		<xsl:choose>
			<xsl:when test="starts-with($s, '&#xA;') or starts-with($s, '&#xD;')">
				<xsl:call-template name="trim-lf-left">
					<xsl:with-param name="s" select="substring($s, 2)"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$s"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>

	<xsl:template name="trim-ws-right">
		<xsl:param name="s"/>
		<xsl:variable name="last" select="substring($s, string-length($s), 1)"/>
		<xsl:choose>
			<xsl:when test="$last = '&#xA;' or $last = '&#xD;' or $last = ' ' or $last = '&#x9;'">
				<xsl:call-template name="trim-ws-right">
					<xsl:with-param name="s" select="substring($s, 1, string-length($s) - 1)"/>
				</xsl:call-template>
			</xsl:when>
			<xsl:otherwise>
				<xsl:value-of select="$s"/>
			</xsl:otherwise>
		</xsl:choose>
	</xsl:template>
</xsl:stylesheet>
