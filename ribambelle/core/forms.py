"""Form plumbing shared by both interfaces: Bootstrap classes and accessible errors."""

from django import forms

from .params import validate_date_bounds


class AccessibleBoundField(forms.BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        input_type = getattr(widget, "input_type", None)
        if input_type == "checkbox" and not getattr(widget, "allow_multiple_selected", False):
            css = "form-check-input"
        elif isinstance(widget, forms.Select) and not getattr(widget, "allow_multiple_selected", False):
            css = "form-select"
        elif input_type in {"checkbox", "radio"}:
            css = ""
        else:
            css = "form-control"
        if self.errors:
            css += " is-invalid"
            attrs["aria-invalid"] = "true"
            described = [f"{self.auto_id}_error"]
            if self.help_text:
                described.append(f"{self.auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)
        if css:
            attrs["class"] = f"{attrs.get('class', '')} {css}".strip()
        return attrs


class BoundedDatesMixin:
    """Every date (and date-time) field of every form refuses far-off years (see core.params), so a date
    typed as 31/12/9999 gets a message instead of an OverflowError further on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(validate_date_bounds)


class StyledForm(BoundedDatesMixin, forms.Form):
    bound_field_class = AccessibleBoundField
    template_name = "includes/form.html"


class StyledModelForm(BoundedDatesMixin, forms.ModelForm):
    bound_field_class = AccessibleBoundField
    template_name = "includes/form.html"
